package dev.scaleblocks.ratelimit.netty;

import static dev.scaleblocks.core.http.TestHttpServers.get;
import static dev.scaleblocks.core.http.TestHttpServers.send;
import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.http.RequestMatcher;
import dev.scaleblocks.core.http.TestHttpServers;
import dev.scaleblocks.core.testing.TcpProxy;
import dev.scaleblocks.core.testing.ThrowawayRedis;
import dev.scaleblocks.ratelimit.Decision;
import dev.scaleblocks.ratelimit.RateLimitPolicy;
import dev.scaleblocks.ratelimit.RateLimiter;
import dev.scaleblocks.ratelimit.http.HttpRateLimit;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Redis-backed limiter over Lettuce never blocks a Netty event loop: neither the server's
 * (the handler asks for a decision there) nor Lettuce's own I/O threads (the decision completes
 * there: the script's reply is parsed, reported to the breaker and turned into a decision on
 * them). A throw-away Redis behind a proxy adding 300 ms to every chunk each way; BlockHound (see
 * {@link BlockingCalls}) watches every event-loop thread of this JVM.
 */
class LettuceDecisionBlockHoundIT {

  private static final Duration LATENCY = Duration.ofMillis(300);
  private static final String POLICY = "lettuce-slow";

  private static List<String> blockingCalls = List.of();
  private static ThrowawayRedis redis;
  private static TcpProxy proxy;
  private static RedisClient client;
  private static RateLimiter limiter;

  @BeforeAll
  static void start() {
    blockingCalls = BlockingCalls.install();
    redis = ThrowawayRedis.start();
    proxy = TcpProxy.start(redis.host(), redis.port());
    client = RedisClient.create(RedisURI.builder().withHost(proxy.host()).withPort(proxy.port())
        .withTimeout(Duration.ofSeconds(10)).build());
    limiter = RateLimiter.builder(RateLimitPolicy.builder(POLICY).limit(100, Duration.ofSeconds(60)).build())
        .lettuce(client)
        .storeTimeout(Duration.ofSeconds(5)) // far above the added latency: the decision is Redis's
        .build();
    // connect and load the script while the link is fast, so one decision is one slow round trip
    assertThat(limiter.tryAcquireAsync("warm-up", 1).join().allowed()).isTrue();
    proxy.latency(LATENCY);
  }

  @BeforeEach
  void clearBlockingCalls() {
    blockingCalls.clear();
  }

  @AfterAll
  static void stop() {
    limiter.close();
    client.shutdown(0, 2, TimeUnit.SECONDS);
    proxy.close();
    redis.close();
  }

  @Test
  void aSlowRedisDecisionHoldsNeitherTheServersEventLoopNorLettuces() throws Exception {
    CountDownLatch decisionStarted = new CountDownLatch(1);
    RateLimiter observed = new SlowRedisDecisionBlockHoundIT.StartSignal(limiter, decisionStarted);
    try (TestHttpServers.Running s = RateLimitHandlerIT.netty(HttpRateLimit.builder()
        .route(RequestMatcher.path("/slow"), observed)
        .build())) {
      long slowStart = System.nanoTime();
      CompletableFuture<HttpResponse<String>> slowCall = TestHttpServers.client()
          .sendAsync(get(s.uri("/slow")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(decisionStarted.await(5, TimeUnit.SECONDS)).as("the /slow decision started").isTrue();

      HttpResponse<String> fast = send(get(s.uri("/fast")).build());
      assertThat(fast.statusCode()).isEqualTo(200);
      assertThat(slowCall.isDone()).as("fast answered while the slow decision was pending").isFalse();

      HttpResponse<String> slow = slowCall.get(10, TimeUnit.SECONDS);
      long slowMillis = (System.nanoTime() - slowStart) / 1_000_000;
      System.out.printf("slow decision through Lettuce: %d ms%n", slowMillis);
      assertThat(slow.statusCode()).isEqualTo(200);
      assertThat(slowMillis).as("the decision went through the slow link").isGreaterThanOrEqualTo(2 * LATENCY.toMillis());
      assertThat(slow.headers().firstValue("RateLimit").orElseThrow()).contains("r=99");
    }
    assertThat(blockingCalls).as("blocking calls on event-loop threads").isEmpty();
  }

  @Test
  void anAsyncDecisionAskedOnAnEventLoopCompletesOnLettucesIoThreadWithNoStoreThread()
      throws Exception {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    AtomicReference<String> askedOn = new AtomicReference<>();
    AtomicReference<String> completedOn = new AtomicReference<>();
    try {
      CompletableFuture<Decision> decision = group.submit(() -> {
        askedOn.set(Thread.currentThread().getName());
        return limiter.tryAcquireAsync("on-the-loop", 1)
            .whenComplete((d, e) -> completedOn.set(Thread.currentThread().getName()));
      }).get(10, TimeUnit.SECONDS);
      assertThat(decision.get(10, TimeUnit.SECONDS).allowed()).isTrue();
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
    System.out.printf("asked on %s, completed on %s%n", askedOn.get(), completedOn.get());
    assertThat(askedOn.get()).contains("multiThreadIoEventLoopGroup");
    assertThat(completedOn.get()).as("completed by Lettuce, no hop").startsWith("lettuce-");
    assertThat(Thread.getAllStackTraces().keySet())
        .as("no store thread was ever started")
        .noneMatch(t -> t.getName().startsWith("scaleblocks-ratelimit-" + POLICY));
    assertThat(blockingCalls).as("blocking calls on event-loop threads").isEmpty();
  }

  @Test
  void theCheckCatchesTheBlockingFormOnAnEventLoop() throws Exception {
    // the blocking form waits for Redis: BlockHound sees it, so the check above is live
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try {
      group.submit(() -> {
        try {
          return limiter.tryAcquire("blocking");
        } catch (Error expected) {
          return null;
        }
      }).get(10, TimeUnit.SECONDS);
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
    assertThat(blockingCalls).isNotEmpty().allMatch(c -> c.contains("multiThreadIoEventLoopGroup"));
  }

  @Test
  void theCheckCoversLettucesIoThreads() throws Exception {
    // a stage that sleeps, attached while the slow decision is pending, runs on Lettuce's I/O
    // thread: BlockHound sees it there, so "no blocking calls" above covers those threads too
    CompletableFuture<Decision> pending = limiter.tryAcquireAsync("sleepy", 1);
    CompletableFuture<Decision> sleepy = pending.thenApply(d -> {
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Error expected) {
        // BlockHound's callback: recorded
      }
      return d;
    });
    assertThat(pending.isDone()).as("attached before the slow answer came").isFalse();
    sleepy.get(10, TimeUnit.SECONDS);
    assertThat(blockingCalls).isNotEmpty().allMatch(c -> c.contains("lettuce-"));
  }
}
