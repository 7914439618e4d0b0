package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.codec.Codec;
import dev.scaleblocks.core.testing.TcpProxy;
import dev.scaleblocks.core.testing.ThrowawayRedis;
import io.lettuce.core.RedisClient;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Over Lettuce, an L1-miss / L2-hit {@code getAsync} blocks no event loop: the read is sent from
 * the caller's event loop and completes on Lettuce's I/O thread, with no cache thread in between.
 * A throw-away Redis behind a proxy adding 100 ms each way; BlockHound (see {@link BlockingCalls})
 * watches every event-loop thread of this JVM, Lettuce's included.
 */
class LettuceGetAsyncBlockHoundIT {

  private static List<String> blockingCalls = List.of();
  private static ThrowawayRedis redis;
  private static TcpProxy proxy;
  private static RedisClient client;
  private static TieredCache<String, String> writer;
  private static TieredCache<String, String> reader;

  @BeforeAll
  static void start() {
    blockingCalls = BlockingCalls.install();
    redis = ThrowawayRedis.start();
    proxy = TcpProxy.start(redis.host(), redis.port());
    client = LettuceClients.standalone(proxy.host(), proxy.port());
    String name = "blockhound-" + UUID.randomUUID();
    writer = build(name);
    reader = build(name);
    proxy.latency(Duration.ofMillis(100));
  }

  private static TieredCache<String, String> build(String name) {
    return TieredCache.builder().name(name).keyCodec(Codec.utf8()).valueCodec(Codec.utf8())
        .lettuce(client).l2Timeout(Duration.ofSeconds(5)).invalidation(false).build();
  }

  @BeforeEach
  void clearBlockingCalls() {
    blockingCalls.clear();
  }

  @AfterAll
  static void stop() {
    reader.close();
    writer.close();
    LettuceClients.shutdown(client);
    proxy.close();
    redis.close();
  }

  @Test
  void anL2HitAskedOnAnEventLoopCompletesOnLettucesIoThreadWithoutBlocking() throws Exception {
    writer.put("k", "from-l2");
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    AtomicReference<String> askedOn = new AtomicReference<>();
    AtomicReference<String> completedOn = new AtomicReference<>();
    long start = System.nanoTime();
    try {
      CompletableFuture<String> value = group.submit(() -> {
        askedOn.set(Thread.currentThread().getName());
        return reader.getAsync("k", k -> {
          throw new AssertionError("an L2 hit loads nothing");
        }).whenComplete((v, e) -> completedOn.set(Thread.currentThread().getName()));
      }).get(10, TimeUnit.SECONDS);
      assertThat(value.get(10, TimeUnit.SECONDS)).isEqualTo("from-l2");
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
    long millis = (System.nanoTime() - start) / 1_000_000;
    System.out.printf("L2 hit through Lettuce: %d ms, asked on %s, completed on %s%n", millis,
        askedOn.get(), completedOn.get());
    assertThat(millis).as("went through the slow link").isGreaterThanOrEqualTo(200);
    assertThat(askedOn.get()).contains("multiThreadIoEventLoopGroup");
    assertThat(completedOn.get()).as("completed by Lettuce, no hop").startsWith("lettuce-");
    assertThat(((DefaultTieredCache<String, String>) reader).peekL1("k")).isEqualTo("from-l2");
    assertThat(blockingCalls).as("blocking calls on event-loop threads").isEmpty();
  }

  @Test
  void anL2MissLoadsOnTheCachesExecutorNotOnLettucesThread() throws Exception {
    AtomicReference<String> loadedOn = new AtomicReference<>();
    String v = reader.getAsync("absent-" + UUID.randomUUID(), k -> {
      loadedOn.set(Thread.currentThread().getName());
      try {
        Thread.sleep(1); // user code may block: it must not run on Lettuce's thread
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return "loaded";
    }).get(10, TimeUnit.SECONDS);
    assertThat(v).isEqualTo("loaded");
    assertThat(loadedOn.get()).startsWith("scaleblocks-cache-");
    assertThat(blockingCalls).as("blocking calls on event-loop threads").isEmpty();
  }

  @Test
  void theCheckCatchesTheBlockingFormOnAnEventLoop() throws Exception {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try {
      group.submit(() -> {
        try {
          return reader.get("blocking-" + UUID.randomUUID(), k -> "v");
        } catch (Error expected) {
          return null;
        }
      }).get(10, TimeUnit.SECONDS);
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
    assertThat(blockingCalls).isNotEmpty().allMatch(c -> c.contains("multiThreadIoEventLoopGroup"));
  }
}
