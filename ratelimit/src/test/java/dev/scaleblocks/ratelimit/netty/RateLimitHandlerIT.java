package dev.scaleblocks.ratelimit.netty;

import static dev.scaleblocks.core.http.TestHttpServers.get;
import static dev.scaleblocks.core.http.TestHttpServers.send;
import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.http.RequestMatcher;
import dev.scaleblocks.ratelimit.Decision;
import dev.scaleblocks.ratelimit.RateLimiter;
import dev.scaleblocks.ratelimit.http.TestLimiter;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import dev.scaleblocks.core.http.TestHttpServers;
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
import org.junit.jupiter.api.Nested;

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

  /** Answers 200 "ok" once the whole request has arrived (works with or without an aggregator). */
  static final class OkHandler extends SimpleChannelInboundHandler<HttpObject> {
    private boolean keepAlive = true;

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
      if (msg instanceof HttpRequest r) {
        keepAlive = HttpUtil.isKeepAlive(r);
      }
      if (msg instanceof LastHttpContent || (msg instanceof HttpRequest && msg instanceof HttpContent)) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
            HttpResponseStatus.OK, Unpooled.copiedBuffer("ok", StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 2);
        HttpUtil.setKeepAlive(response, keepAlive);
        ctx.writeAndFlush(response);
      }
    }
  }

  /**
   * A limiter whose blocking form fails on an event-loop thread and whose async form decides 400 ms
   * later on another thread, like a remote store behind a slow link. Scripted rather than real: it
   * pins the decision delay exactly.
   */
  static final class SlowRemoteLimiter implements RateLimiter {
    final TestLimiter inner = new TestLimiter("slow", 100, Duration.ofSeconds(60)).asyncDelay(Duration.ofMillis(400));
    final List<String> blockingCallsOnEventLoop = new CopyOnWriteArrayList<>();
    final List<String> completionThreads = new CopyOnWriteArrayList<>();

    @Override
    public Decision tryAcquire(String key, long permits) {
      if (Thread.currentThread() instanceof FastThreadLocalThread) {
        blockingCallsOnEventLoop.add(Thread.currentThread().getName());
        throw new AssertionError("blocking tryAcquire on event loop " + Thread.currentThread().getName());
      }
      return inner.tryAcquire(key, permits);
    }

    @Override
    public CompletableFuture<Decision> tryAcquireAsync(String key, long permits) {
      return inner.tryAcquireAsync(key, permits).whenComplete((d, e) ->
          completionThreads.add(Thread.currentThread().getName()));
    }

    @Override
    public Decision acquire(String key, long permits, Duration maxWait) {
      return tryAcquire(key, permits);
    }

    @Override
    public dev.scaleblocks.ratelimit.RateLimitPolicy policy() {
      return inner.policy();
    }
  }

  @Test
  void aSlowDecisionNeverHoldsTheEventLoop() throws Exception {
    SlowRemoteLimiter slow = new SlowRemoteLimiter();
    try (TestHttpServers.Running s = netty(HttpRateLimit.builder()
        .route(RequestMatcher.path("/slow"), slow)
        .build())) {
      // one event-loop thread serves both connections: while /slow waits for its decision,
      // /fast on another connection must be answered well before the 400 ms decision completes
      CompletableFuture<HttpResponse<String>> slowCall = TestHttpServers.client()
          .sendAsync(get(s.uri("/slow")).build(), HttpResponse.BodyHandlers.ofString());
      Thread.sleep(50); // let the slow request reach the handler
      long start = System.nanoTime();
      HttpResponse<String> fast = send(get(s.uri("/fast")).build());
      long fastMillis = (System.nanoTime() - start) / 1_000_000;
      assertThat(fast.statusCode()).isEqualTo(200);
      assertThat(slowCall.isDone()).as("fast answered while the slow decision was pending").isFalse();
      HttpResponse<String> slowResponse = slowCall.get();
      assertThat(slowResponse.statusCode()).isEqualTo(200);
      assertThat(slowResponse.headers().firstValue("RateLimit")).hasValue("\"slow\";r=99;t=17");
      assertThat(fastMillis).isLessThan(350);
      assertThat(slow.blockingCallsOnEventLoop).isEmpty();
      assertThat(slow.completionThreads).isNotEmpty().noneMatch(n -> n.contains("multiThreadIoEventLoopGroup"));
    }
  }
}
