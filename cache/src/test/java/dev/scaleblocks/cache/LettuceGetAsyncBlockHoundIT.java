package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.scaleblocks.core.codec.Codec;
import dev.scaleblocks.core.testing.TcpProxy;
import dev.scaleblocks.core.testing.ThrowawayRedis;
import io.lettuce.core.RedisClient;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Over Lettuce, an L1-miss / L2-hit {@code getAsync} blocks no event loop: the read is sent from
 * the caller's event loop and completes on Lettuce's I/O thread, with no cache thread in between;
 * so do {@code putAsync}, {@code invalidateAsync} and a {@code getAllAsync} that both tiers answer.
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
  private static String name;

  @BeforeAll
  static void start() {
    blockingCalls = BlockingCalls.install();
    redis = ThrowawayRedis.start();
    proxy = TcpProxy.start(redis.host(), redis.port());
    client = LettuceClients.standalone(proxy.host(), proxy.port());
    name = "blockhound-" + UUID.randomUUID();
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
  void anAsyncLoaderMissAskedOnAnEventLoopLoadsAndCompletesWithoutBlockingOrTheExecutor() throws Exception {
    String key = "async-loaded-" + UUID.randomUUID();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    AtomicReference<String> loaderCalledOn = new AtomicReference<>();
    AtomicReference<String> completedOn = new AtomicReference<>();
    long tasksBefore = ((DefaultTieredCache<String, String>) reader).executorTasks();
    CompletableFuture<String> source = new CompletableFuture<>();
    try {
      CompletableFuture<String> value = group.submit(() -> reader.getAsyncLoading(key, k -> {
        loaderCalledOn.set(Thread.currentThread().getName());
        return source;
      }).whenComplete((v, e) -> completedOn.set(Thread.currentThread().getName()))).get(10, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(10)).until(() -> loaderCalledOn.get() != null);
      group.submit(() -> source.complete("from-source")).get(10, TimeUnit.SECONDS); // a non-blocking source
      assertThat(value.get(10, TimeUnit.SECONDS)).isEqualTo("from-source");
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
    System.out.printf("async loader miss through Lettuce: loader called on %s, completed on %s%n",
        loaderCalledOn.get(), completedOn.get());
    assertThat(loaderCalledOn.get()).as("called where the L2 miss was read, no hop").startsWith("lettuce-");
    assertThat(completedOn.get()).as("completed where the source completed").contains("multiThreadIoEventLoopGroup");
    // the L2 write is the one task handed to the executor (a conditional write waits for its reply)
    await().atMost(Duration.ofSeconds(10)).until(() -> "from-source".equals(writer.getIfPresent(key)));
    assertThat(((DefaultTieredCache<String, String>) reader).executorTasks() - tasksBefore).isEqualTo(1);
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
  void putInvalidateAndGetAllAskedOnAnEventLoopCompleteOnLettucesIoThreadWithoutTheExecutor()
      throws Exception {
    writer.putAll(Map.of("a", "1", "b", "2"));
    DefaultTieredCache<String, String> impl = (DefaultTieredCache<String, String>) reader;
    long tasksBefore = impl.executorTasks();
    List<String> completedOn = new java.util.concurrent.CopyOnWriteArrayList<>();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try {
      onEventLoop(group, () -> reader.putAsync("put", "v"), completedOn);
      assertThat(impl.peekL1("put")).isEqualTo("v");
      try (TieredCache<String, String> probe = build(name)) {
        assertThat(probe.getIfPresent("put")).as("the put reached redis").isEqualTo("v");
      }

      onEventLoop(group, () -> reader.invalidateAsync("put"), completedOn);
      assertThat(impl.peekL1("put")).isNull();
      try (TieredCache<String, String> probe = build(name)) {
        assertThat(probe.getIfPresent("put")).as("the tombstone reached redis").isNull();
      }

      Map<String, String> all = onEventLoop(group, () -> reader.getAllAsync(List.of("a", "b"), keys -> {
        throw new AssertionError("both keys are in L2: nothing to load");
      }), completedOn);
      assertThat(all).containsExactly(Map.entry("a", "1"), Map.entry("b", "2"));
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
    System.out.printf("putAsync, invalidateAsync, getAllAsync completed on %s%n", completedOn);
    assertThat(completedOn).as("completed by Lettuce, no hop").hasSize(3).allMatch(t -> t.startsWith("lettuce-"));
    assertThat(impl.executorTasks() - tasksBefore).as("tasks given to the cache's executor").isZero();
    assertThat(blockingCalls).as("blocking calls on event-loop threads").isEmpty();
  }

  @Test
  void aGetAllAsyncMissLoadsOnTheCachesExecutor() throws Exception {
    writer.put("c", "3");
    String absent = "absent-" + UUID.randomUUID();
    AtomicReference<String> loadedOn = new AtomicReference<>();
    Map<String, String> all = reader.getAllAsync(List.of("c", absent), keys -> {
      loadedOn.set(Thread.currentThread().getName());
      assertThat(keys).containsExactly(absent);
      return Map.of(absent, "loaded");
    }).get(10, TimeUnit.SECONDS);
    assertThat(all).containsExactly(Map.entry("c", "3"), Map.entry(absent, "loaded"));
    assertThat(loadedOn.get()).startsWith("scaleblocks-cache-");
    try (TieredCache<String, String> probe = build(name)) {
      assertThat(probe.getIfPresent(absent)).as("the loaded value reached redis").isEqualTo("loaded");
    }
    assertThat(blockingCalls).as("blocking calls on event-loop threads").isEmpty();
  }

  /** Asks {@code op} on an event loop of {@code group}; records the thread its future completes on. */
  private static <T> T onEventLoop(EventLoopGroup group, Callable<CompletableFuture<T>> op,
      List<String> completedOn) throws Exception {
    CompletableFuture<T> f = group.submit(() -> op.call()
            .whenComplete((v, e) -> completedOn.add(Thread.currentThread().getName())))
        .get(10, TimeUnit.SECONDS);
    return f.get(10, TimeUnit.SECONDS);
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
