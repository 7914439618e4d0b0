package dev.scaleblocks.ratelimit.netty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.http.RequestMatcher;
import dev.scaleblocks.core.http.TestHttpServers;
import dev.scaleblocks.ratelimit.RateLimitPolicy;
import dev.scaleblocks.ratelimit.RateLimiter;
import dev.scaleblocks.ratelimit.http.HttpRateLimit;
import dev.scaleblocks.ratelimit.http.RateLimitAdapterContract;
import dev.scaleblocks.ratelimit.http.RealLimiters;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The adapter contract in Netty 4.2 (one event-loop thread) with the real local limiter, whose
 * decisions complete at once, and the real Redis-backed one, whose decisions complete on a store
 * thread and resume on the event loop. The slow-store proof is {@code SlowRedisDecisionBlockHoundIT}.
 */
class RateLimitHandlerIT {

  static TestHttpServers.Running netty(HttpRateLimit rateLimit) {
    return TestHttpServers.netty(1, p -> {
      p.addLast(new RateLimitHandler(rateLimit));
      p.addLast(new OkHandler());
    });
  }

  @Nested
  class LocalStore extends RateLimitAdapterContract {
    @Override
    protected TestHttpServers.Running start(HttpRateLimit rateLimit) {
      return netty(rateLimit);
    }

    @Override
    protected RealLimiters newLimiters() {
      return RealLimiters.local();
    }
  }

  @Nested
  class RedisStore extends RateLimitAdapterContract {
    @Override
    protected TestHttpServers.Running start(HttpRateLimit rateLimit) {
      return netty(rateLimit);
    }

    @Override
    protected RealLimiters newLimiters() {
      return RealLimiters.redis();
    }
  }

  /**
   * HTTP/1.1 pipelining (RFC 9112 §9.3.2): responses go out in the order of the requests. A
   * rejection decided at once must not overtake the response the application is still preparing
   * for an earlier request on the same connection.
   */
  @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.ValueSource(strings = {"local", "redis"})
  void aRejectionWaitsForTheResponsesOfEarlierPipelinedRequests(String store) throws Exception {
    try (RealLimiters limiters = store.equals("local") ? RealLimiters.local() : RealLimiters.redis()) {
      HttpRateLimit rateLimit = HttpRateLimit.builder()
          .route(dev.scaleblocks.core.http.RequestMatcher.path("/**"),
              limiters.create("pipelined", 1, java.time.Duration.ofMinutes(1)))
          .build();
      try (TestHttpServers.Running s = TestHttpServers.netty(1, p -> {
            p.addLast(new RateLimitHandler(rateLimit));
            p.addLast(new SlowOkHandler());
          });
          java.net.Socket socket = new java.net.Socket("127.0.0.1", s.port())) {
        socket.setSoTimeout(10_000);
        String request = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
        socket.getOutputStream().write((request + request.replace("/a", "/b") + request.replace("/a", "/c"))
            .getBytes(StandardCharsets.US_ASCII));
        java.io.InputStream in = socket.getInputStream();
        java.util.List<String> statusLines = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
          statusLines.add(readResponse(in));
        }
        org.assertj.core.api.Assertions.assertThat(statusLines).as("status lines in the order received")
            .containsExactly("HTTP/1.1 200 OK", "HTTP/1.1 429 Too Many Requests", "HTTP/1.1 429 Too Many Requests");
      }
    }
  }

  /**
   * A request whose client goes away before the application answers gives its permit back with
   * {@code refundCancelled(true)}; the handler learns it from the channel closing.
   */
  @Test
  void aRequestCancelledBeforeItsResponseRefundsItsPermit() throws Exception {
    io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    try (RateLimiter limiter = RateLimiter.builder(RateLimitPolicy.builder("cancel")
            .limit(1, Duration.ofMinutes(1)).build())
            .local().telemetry(Telemetry.of(registry)).build();
        TestHttpServers.Running s = netty(HttpRateLimit.builder()
            .route(RequestMatcher.path("/**"), limiter).refundCancelled(true).build())) {
      try (java.net.Socket socket = new java.net.Socket("127.0.0.1", s.port())) {
        socket.getOutputStream().write("GET /hang/1 HTTP/1.1\r\nHost: x\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
            registry.get("scaleblocks.ratelimit.decisions").tag("result", "allowed").counter()
                .count() == 1);
      } // closed before any response
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
          registry.get("scaleblocks.ratelimit.refunds").tag("result", "returned").counter()
              .count() == 1);
      assertThat(TestHttpServers.send(TestHttpServers.get(s.uri("/ok")).build()).statusCode())
          .as("the cancelled request's permit").isEqualTo(200);
      assertThat(TestHttpServers.send(TestHttpServers.get(s.uri("/ok")).build()).statusCode())
          .as("a 200 spends it").isEqualTo(429);
    }
  }

  /** Reads one response with a Content-Length body; answers its status line. */
  private static String readResponse(java.io.InputStream in) throws java.io.IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new java.io.EOFException("connection closed after " + head);
      }
      head.append((char) b);
    }
    String[] lines = head.toString().split("\r\n");
    int length = 0;
    for (String line : lines) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    in.readNBytes(length);
    return lines[0];
  }

  /** Answers 200 "ok" 300 ms after the whole request arrived, as an application waiting on its database. */
  static final class SlowOkHandler extends SimpleChannelInboundHandler<HttpObject> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
      if (msg instanceof LastHttpContent) {
        ctx.executor().schedule(() -> {
          FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
              HttpResponseStatus.OK, Unpooled.copiedBuffer("ok", StandardCharsets.UTF_8));
          response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 2);
          ctx.writeAndFlush(response);
        }, 300, java.util.concurrent.TimeUnit.MILLISECONDS);
      }
    }
  }

  /**
   * Answers 200 "ok" once the whole request has arrived (works with or without an aggregator); 502
   * "ok" under {@code /fail/}, as a gateway whose upstream failed; never under {@code /hang/}.
   */
  static final class OkHandler extends SimpleChannelInboundHandler<HttpObject> {
    private boolean keepAlive = true;
    private boolean fail;
    private boolean hang;

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
      if (msg instanceof HttpRequest r) {
        keepAlive = HttpUtil.isKeepAlive(r);
        fail = r.uri().startsWith("/fail/");
        hang = r.uri().startsWith("/hang/");
      }
      if (hang) {
        return;
      }
      if (msg instanceof LastHttpContent || (msg instanceof HttpRequest && msg instanceof HttpContent)) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
            fail ? HttpResponseStatus.BAD_GATEWAY : HttpResponseStatus.OK,
            Unpooled.copiedBuffer("ok", StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 2);
        HttpUtil.setKeepAlive(response, keepAlive);
        ctx.writeAndFlush(response);
      }
    }
  }
}
