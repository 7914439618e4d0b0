package dev.scaleblocks.ratelimit.concurrency;

import static dev.scaleblocks.core.http.TestHttpServers.get;
import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.http.TestHttpServers;
import dev.scaleblocks.ratelimit.netty.ConcurrencyLimitHandler;
import dev.scaleblocks.ratelimit.servlet.ConcurrencyLimitFilter;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The servlet filter and the Netty handler with a limit of 2 in front of an application that takes
 * 500 ms: of 5 concurrent requests, 2 are served and 3 are refused at once with 503, {@code
 * Retry-After} and a problem body, without reaching the application; every permit is back after.
 */
class ConcurrencyLimitAdaptersIT {

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"jetty", "netty", "safe-pipeline"})
  void theExcessIsRefusedWith503AndNeverReachesTheApplication(String kind) throws Exception {
    java.util.concurrent.atomic.AtomicInteger reached = new java.util.concurrent.atomic.AtomicInteger();
    try (ConcurrencyLimit limit = ConcurrencyLimit.builder("adapters-" + kind).minLimit(2).maxLimit(2).initialLimit(2).build();
        TestHttpServers.Running server = switch (kind) {
          case "jetty" -> jetty(limit, reached);
          case "netty" -> netty(limit, reached);
          default -> TestHttpServers.nettyPipeline(dev.scaleblocks.core.netty.SafeHttpServerPipeline.builder()
              .loadShedding(() -> new ConcurrencyLimitHandler(limit))
              .application(() -> slowApp(reached))
              .build()::configure);
        }) {
      List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        calls.add(TestHttpServers.client().sendAsync(get(server.uri("/work")).build(), HttpResponse.BodyHandlers.ofString()));
      }
      int ok = 0;
      int refused = 0;
      for (CompletableFuture<HttpResponse<String>> c : calls) {
        HttpResponse<String> r = c.get(10, TimeUnit.SECONDS);
        if (r.statusCode() == 200) {
          ok++;
        } else {
          assertThat(r.statusCode()).isEqualTo(503);
          assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
          assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(
              v -> assertThat(v).startsWith("application/problem+json"));
          assertThat(r.body()).contains("\"status\":503");
          refused++;
        }
      }
      assertThat(ok).as("served").isEqualTo(2);
      assertThat(refused).as("refused").isEqualTo(3);
      assertThat(reached).as("requests that reached the application").hasValue(2);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (limit.inFlight() != 0 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(limit.inFlight()).as("permits still held").isZero();
    }
  }

  private static TestHttpServers.Running jetty(ConcurrencyLimit limit, java.util.concurrent.atomic.AtomicInteger reached) {
    return TestHttpServers.jetty(c -> {
      c.addFilter(new FilterHolder(new ConcurrencyLimitFilter(limit)), "/*", EnumSet.of(DispatcherType.REQUEST));
      c.addServlet(new ServletHolder(new HttpServlet() {
        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws java.io.IOException {
          reached.incrementAndGet();
          try {
            Thread.sleep(500);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          resp.setContentType("text/plain");
          resp.getWriter().write("ok");
        }
      }), "/*");
    });
  }

  private static TestHttpServers.Running netty(ConcurrencyLimit limit, java.util.concurrent.atomic.AtomicInteger reached) {
    return TestHttpServers.netty(p -> {
      p.addLast(new ConcurrencyLimitHandler(limit));
      p.addLast(slowApp(reached));
    });
  }

  /** Answers 200 "ok" 500 ms after the whole request arrived. */
  private static SimpleChannelInboundHandler<HttpObject> slowApp(java.util.concurrent.atomic.AtomicInteger reached) {
    return new SimpleChannelInboundHandler<HttpObject>() {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
          if (msg instanceof LastHttpContent) {
            reached.incrementAndGet();
            ctx.executor().schedule(() -> {
              var response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                  Unpooled.copiedBuffer("ok", StandardCharsets.UTF_8));
              response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 2);
              ctx.writeAndFlush(response);
            }, 500, TimeUnit.MILLISECONDS);
          }
        }
    };
  }
}
