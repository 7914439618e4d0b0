package dev.scaleblocks.core.netty;

import static dev.scaleblocks.core.http.TestHttpServers.get;
import static dev.scaleblocks.core.http.TestHttpServers.send;
import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.http.RequestCorrelation;
import dev.scaleblocks.core.http.TestHttpServers;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;
import static org.awaitility.Awaitility.await;

class CorrelationHandlerIT {

  static {
    dev.scaleblocks.core.http.TestMdc.enable();
  }

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private TestHttpServers.Running server;

  @BeforeEach
  void start() {
    RequestCorrelation correlation =
        RequestCorrelation.builder().telemetry(Telemetry.of(registry)).routeTag(r -> "/echo").build();
    server =
        TestHttpServers.netty(
            p -> {
              p.addLast(new HttpObjectAggregator(64 * 1024));
              p.addLast(new CorrelationHandler(correlation));
              p.addLast(new MdcEchoHandler());
            });
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void generatesAnIdPutsItInTheMdcAndEchoesIt() {
    HttpResponse<String> r = send(get(server.uri("/echo")).build());
    String id = r.headers().firstValue("X-Request-Id").orElseThrow();
    assertThat(id).matches("[0-9a-f]{32}");
    assertThat(r.body()).isEqualTo("mdc=" + id + " attr=" + id);
  }

  @Test
  void keepsAValidIncomingIdAndReplacesAHostileOne() {
    HttpResponse<String> ok = send(get(server.uri("/echo")).header("X-Request-Id", "req-42").build());
    assertThat(ok.headers().firstValue("X-Request-Id")).hasValue("req-42");
    assertThat(ok.body()).isEqualTo("mdc=req-42 attr=req-42");

    HttpResponse<String> bad =
        send(get(server.uri("/echo")).header("X-Request-Id", "a".repeat(4000)).build());
    String id = bad.headers().firstValue("X-Request-Id").orElseThrow();
    assertThat(id).matches("[0-9a-f]{32}");
    assertThat(bad.body()).isEqualTo("mdc=" + id + " attr=" + id);
  }

  @Test
  void usesTheTraceparentTraceIdAndTimesTheRequest() {
    HttpResponse<String> r =
        send(get(server.uri("/echo?x=1"))
            .header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
            .build());
    assertThat(r.headers().firstValue("X-Request-Id")).hasValue("4bf92f3577b34da6a3ce929d0e0e4736");
    // the timer stops when the write completes, which may be just after the client has the bytes
    await().atMost(5, TimeUnit.SECONDS).untilAsserted(() ->
        assertThat(
                registry.get(RequestCorrelation.METRIC)
                    .tags("method", "GET", "uri", "/echo", "status", "200", "outcome", "SUCCESS")
                    .timer()
                    .count())
            .isEqualTo(1));
  }

  static final class MdcEchoHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest msg) {
      String body = "mdc=" + MDC.get("requestId") + " attr=" + ctx.channel().attr(CorrelationHandler.REQUEST_ID).get();
      FullHttpResponse response =
          new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
              Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
      response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
      response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
      ctx.writeAndFlush(response);
    }
  }
}
