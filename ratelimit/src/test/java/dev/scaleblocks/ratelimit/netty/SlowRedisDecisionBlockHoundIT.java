package dev.scaleblocks.ratelimit.netty;

import static dev.scaleblocks.core.http.TestHttpServers.get;
import static dev.scaleblocks.core.http.TestHttpServers.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scaleblocks.core.http.RequestMatcher;
import dev.scaleblocks.core.http.TestHttpServers;
import dev.scaleblocks.core.testing.TcpProxy;
import dev.scaleblocks.core.testing.ThrowawayRedis;
import dev.scaleblocks.ratelimit.Decision;
import dev.scaleblocks.ratelimit.RateLimitPolicy;
import dev.scaleblocks.ratelimit.RateLimiter;
import dev.scaleblocks.ratelimit.http.HttpRateLimit;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.greenbytes.http.sfv.Item;
import org.greenbytes.http.sfv.Parser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * The Netty handler with the real Redis-backed limiter made slow: a throw-away Redis behind a
 * proxy adding 300 ms to every chunk each way (one decision ≈ 600 ms), one event-loop thread.
 *
 * <p>BlockHound (with Netty's own integration, found by the service loader) watches every Netty
 * event-loop thread of this JVM: any blocking call there — a {@code park} waiting for the store, a
 * socket read, a sleep — is recorded and fails the test. BlockHound needs
 * {@code -XX:+AllowRedefinitionToAddDeleteMethods} on Java 13+, so the build runs the
 * {@code *BlockHoundIT} classes in a failsafe execution (and JVM) of their own.
 */
class SlowRedisDecisionBlockHoundIT {

  private static final Duration LATENCY = Duration.ofMillis(300);
  private static List<String> blockingCalls = List.of();

  private static ThrowawayRedis redis;
  private static TcpProxy proxy;
  private static UnifiedJedis client;
  private static RateLimiter limiter;

  @BeforeAll
  static void start() {
    blockingCalls = BlockingCalls.install();
    redis = ThrowawayRedis.start();
    proxy = TcpProxy.start(redis.host(), redis.port());
    client = RedisClient.builder().hostAndPort(proxy.host(), proxy.port())
        .clientConfig(DefaultJedisClientConfig.builder().socketTimeoutMillis(10_000).build())
        .build();
    limiter = RateLimiter.builder(RateLimitPolicy.builder("slow").limit(100, Duration.ofSeconds(60)).build())
        .redis(client)
        .storeTimeout(Duration.ofSeconds(5)) // far above the added latency: the decision is Redis's
        .build();
    // connect and load the script while the link is fast, so one decision is one slow round trip
    assertThat(limiter.tryAcquire("warm-up").allowed()).isTrue();
    proxy.latency(LATENCY);
  }

  @BeforeEach
  void clearBlockingCalls() {
    blockingCalls.clear();
  }

  @AfterAll
  static void stop() {
    limiter.close();
    client.close();
    proxy.close();
    redis.close();
  }

  @Test
  void aSlowRedisDecisionNeverHoldsTheEventLoop() throws Exception {
    CountDownLatch decisionStarted = new CountDownLatch(1);
    RateLimiter observed = new StartSignal(limiter, decisionStarted);
    try (TestHttpServers.Running s = RateLimitHandlerIT.netty(HttpRateLimit.builder()
        .route(RequestMatcher.path("/slow"), observed)
        .build())) {
      long slowStart = System.nanoTime();
      CompletableFuture<HttpResponse<String>> slowCall = TestHttpServers.client()
          .sendAsync(get(s.uri("/slow")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(decisionStarted.await(5, TimeUnit.SECONDS)).as("the /slow decision started").isTrue();

      // the one event-loop thread serves another connection while the Redis decision is pending
      HttpResponse<String> fast = send(get(s.uri("/fast")).build());
      assertThat(fast.statusCode()).isEqualTo(200);
      assertThat(slowCall.isDone()).as("fast answered while the slow decision was pending").isFalse();

      HttpResponse<String> slow = slowCall.get(10, TimeUnit.SECONDS);
      long slowMillis = (System.nanoTime() - slowStart) / 1_000_000;
      assertThat(slow.statusCode()).isEqualTo(200);
      assertThat(slow.body()).isEqualTo("ok");
      assertThat(slowMillis).as("the decision went through the slow link").isGreaterThanOrEqualTo(2 * LATENCY.toMillis());
      Item<?> rl = (Item<?>) Parser.parseList(slow.headers().firstValue("RateLimit").orElseThrow()).get().get(0);
      assertThat(rl.get()).isEqualTo("slow");
      assertThat(rl.getParams().get("r").get()).as("counted in Redis").isEqualTo(99L);
    }
    assertThat(blockingCalls).as("blocking calls on event-loop threads").isEmpty();
  }

  @Test
  void theCheckCatchesAnEventLoopThreadBlockingInTheLimiter() {
    // the same limiter's blocking form, called on an event-loop thread, waits for Redis: caught
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try {
      assertThatThrownBy(() -> group.submit(() -> limiter.tryAcquire("blocking")).get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .rootCause().hasMessageStartingWith("blocking call");
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
    assertThat(blockingCalls).isNotEmpty().allMatch(c -> c.contains("multiThreadIoEventLoopGroup"));
  }

  /** Delegates to the real limiter and signals when the handler asked for a decision. */
  static final class StartSignal implements RateLimiter {
    private final RateLimiter delegate;
    private final CountDownLatch started;

    StartSignal(RateLimiter delegate, CountDownLatch started) {
      this.delegate = delegate;
      this.started = started;
    }

    @Override
    public Decision tryAcquire(String key, long permits) {
      return delegate.tryAcquire(key, permits);
    }

    @Override
    public CompletableFuture<Decision> tryAcquireAsync(String key, long permits) {
      CompletableFuture<Decision> decision = delegate.tryAcquireAsync(key, permits);
      started.countDown();
      return decision;
    }

    @Override
    public Decision acquire(String key, long permits, Duration maxWait) throws InterruptedException {
      return delegate.acquire(key, permits, maxWait);
    }

    @Override
    public RateLimitPolicy policy() {
      return delegate.policy();
    }
  }
}
