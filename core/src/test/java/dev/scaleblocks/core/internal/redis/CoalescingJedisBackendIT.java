package dev.scaleblocks.core.internal.redis;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scaleblocks.core.redis.RedisScript;
import dev.scaleblocks.core.testing.ThrowawayClusters;
import dev.scaleblocks.core.testing.ThrowawayRedis;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * What the coalescing Jedis backend adds to the contract: calls in flight share pipelines, each
 * command reaches Redis once, a {@code NOSCRIPT} or an error in a batch touches only its entries,
 * a full queue refuses at once, and a failed connection fails its batch without a retry. Each test
 * on a throw-away server of its own, whose {@code INFO commandstats} counts what arrived.
 */
class CoalescingJedisBackendIT {

  static final RedisScript INCR = RedisScript.of("coalescing-incr",
      "return redis.call('INCRBY', KEYS[1], ARGV[1])");
  static final RedisScript BROKEN = RedisScript.of("coalescing-broken",
      "return redis.call('NO_SUCH_COMMAND')");

  private ThrowawayRedis server;
  private UnifiedJedis client;

  @BeforeEach
  void start() {
    server = ThrowawayRedis.start();
    client = RedisClient.builder().hostAndPort(server.host(), server.port())
        .clientConfig(DefaultJedisClientConfig.builder()
            .socketTimeoutMillis(1_000).connectionTimeoutMillis(1_000).build())
        .build();
  }

  @AfterEach
  void stop() {
    client.close();
    server.close();
  }

  /** {@code calls} of {@code cmdstat_<command>} on the throw-away server. */
  private long calls(String command) {
    try (Jedis direct = new Jedis(server.host(), server.port())) {
      for (String line : direct.info("commandstats").split("\r\n")) {
        if (line.startsWith("cmdstat_" + command + ":calls=")) {
          return Long.parseLong(line.substring(line.indexOf('=') + 1, line.indexOf(',')));
        }
      }
      return 0;
    }
  }

  private long counter(byte[] key) {
    try (Jedis direct = new Jedis(server.host(), server.port())) {
      String v = direct.get(new String(key, UTF_8));
      return v == null ? 0 : Long.parseLong(v);
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }

  @Test
  void callsInFlightSharePipelinesAndEachArrivesOnce() throws Exception {
    CoalescingJedisBackend b = CoalescingJedisBackend.of(client, CoalescingJedisBackend.DEFAULT_QUEUE_CAPACITY);
    b.eval(INCR, List.of(bytes("warm")), List.of(bytes("1"))); // loaded: the rest is EVALSHA
    long before = calls("evalsha");
    int threads = 32;
    int each = 300;
    byte[] hot = bytes("hot");
    CountDownLatch go = new CountDownLatch(1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread w = new Thread(() -> {
        try {
          go.await();
          for (int i = 0; i < each; i++) {
            b.eval(INCR, List.of(hot), List.of(bytes("1")));
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      });
      w.start();
      workers.add(w);
    }
    long batchesBefore = b.batches();
    long commandsBefore = b.commands();
    go.countDown();
    for (Thread w : workers) {
      w.join(120_000);
    }
    assertThat(failure.get()).isNull();
    long sent = b.commands() - commandsBefore;
    long batches = b.batches() - batchesBefore;
    long arrived = calls("evalsha") - before;
    System.out.printf("%d blocking script calls from %d threads: %d pipelines, %.1f commands each "
        + "on average, largest %d; EVALSHA calls on the server %d%n", threads * each, threads,
        batches, (double) sent / batches, b.largestBatch(), arrived);
    assertThat(counter(hot)).isEqualTo((long) threads * each);
    assertThat(sent).isEqualTo((long) threads * each);
    assertThat(arrived).as("each command reached Redis once").isEqualTo((long) threads * each);
    assertThat(batches).as("calls in flight shared pipelines").isLessThan(sent);
  }

  @Test
  void readsWithTheirTtlSharePipelinesAndEachArrivesOnce() throws Exception {
    CoalescingJedisBackend b = CoalescingJedisBackend.of(client, CoalescingJedisBackend.DEFAULT_QUEUE_CAPACITY);
    int keys = 64;
    try (Jedis direct = new Jedis(server.host(), server.port())) {
      for (int k = 0; k < keys; k += 2) { // odd keys stay absent
        direct.set("v" + k, "value-" + k, redis.clients.jedis.params.SetParams.setParams().px(60_000));
      }
    }
    long getsBefore = calls("get");
    long pttlsBefore = calls("pttl");
    long commandsBefore = b.commands();
    long batchesBefore = b.batches();
    int threads = 16;
    int each = 200;
    CountDownLatch go = new CountDownLatch(1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int seed = t;
      Thread w = new Thread(() -> {
        try {
          go.await();
          for (int i = 0; i < each; i++) {
            int k = (seed * 7 + i) % keys;
            RedisBackend.ValueTtl v = i % 2 == 0 ? b.getWithTtl(bytes("v" + k))
                : b.getWithTtlAsync(bytes("v" + k)).get(30, TimeUnit.SECONDS);
            if (k % 2 == 1) {
              assertThat(v).isEqualTo(RedisBackend.ValueTtl.ABSENT);
            } else {
              assertThat(new String(v.value(), UTF_8)).isEqualTo("value-" + k);
              assertThat(v.pttlMillis()).isBetween(1L, 60_000L);
            }
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      });
      w.start();
      workers.add(w);
    }
    go.countDown();
    for (Thread w : workers) {
      w.join(120_000);
    }
    assertThat(failure.get()).isNull();
    long reads = (long) threads * each;
    long batches = b.batches() - batchesBefore;
    System.out.printf("%d reads with their TTL from %d threads: %d pipelines, largest %d; GET %d, "
        + "PTTL %d on the server%n", reads, threads, batches, b.largestBatch(),
        calls("get") - getsBefore, calls("pttl") - pttlsBefore);
    assertThat(b.commands() - commandsBefore).as("every read queued").isEqualTo(reads);
    assertThat(calls("get") - getsBefore).as("each GET reached Redis once").isEqualTo(reads);
    assertThat(calls("pttl") - pttlsBefore).as("each PTTL reached Redis once").isEqualTo(reads);
    assertThat(batches).as("reads in flight shared pipelines").isLessThan(reads);

    List<byte[]> many = new ArrayList<>();
    for (int k = 0; k < 10; k++) {
      many.add(bytes("v" + k));
    }
    long before = b.commands();
    List<RedisBackend.ValueTtl> all = b.mgetWithTtl(many);
    assertThat(b.commands() - before).as("a bulk read queued, one entry per key").isEqualTo(10);
    for (int k = 0; k < 10; k++) {
      assertThat(all.get(k).value() == null).isEqualTo(k % 2 == 1);
    }
    before = b.commands();
    b.set(bytes("written"), bytes("w"), Duration.ofSeconds(30));
    assertThat(b.commands() - before).as("a SET queued").isEqualTo(1);
    assertThat(b.getWithTtl(bytes("written")).pttlMillis()).isBetween(1L, 30_000L);
  }

  @Test
  void noScriptInABatchReloadsOnlyItsEntriesOnce() throws Exception {
    CoalescingJedisBackend b = CoalescingJedisBackend.of(client, CoalescingJedisBackend.DEFAULT_QUEUE_CAPACITY);
    byte[] key = bytes("reload");
    b.set(bytes("plain"), bytes("v"), Duration.ofMinutes(1));
    long queued = b.commands();
    long getsBefore = calls("get");
    // the server paused with one GET on the wire: everything asked meanwhile queues up, and the
    // next batch holds many calls of a script the server has never seen, beside GETs that must
    // not be sent twice (whatever the machine's load, the batching does not depend on timing)
    List<CompletableFuture<?>> all = new ArrayList<>();
    List<CompletableFuture<byte[]>> gets = new ArrayList<>();
    server.pause();
    try {
      CompletableFuture<byte[]> first = b.getAsync(bytes("plain"));
      gets.add(first);
      all.add(first);
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> b.commands() == queued + 1);
      for (int i = 0; i < 100; i++) {
        all.add(b.evalAsync(INCR, List.of(key), List.of(bytes("1"))));
        CompletableFuture<byte[]> g = b.getAsync(bytes("plain"));
        gets.add(g);
        all.add(g);
      }
    } finally {
      server.resume();
    }
    CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
    long evalsha = calls("evalsha");
    long eval = calls("eval");
    long get = calls("get") - getsBefore;
    System.out.printf("100 first-use script calls and 101 GETs in %d batches (largest %d): "
        + "%d EVALSHA, %d EVAL after NOSCRIPT, %d GET%n", b.batches(), b.largestBatch(), evalsha,
        eval, get);
    assertThat(counter(key)).as("each script call ran once").isEqualTo(100);
    assertThat(evalsha).isEqualTo(100);
    assertThat(b.largestBatch()).as("all queued behind the paused GET").isEqualTo(200);
    assertThat(eval).as("every NOSCRIPT entry of that batch, and only those, sent again")
        .isEqualTo(100);
    assertThat(get).as("GETs beside them are not sent again").isEqualTo(101);
    for (CompletableFuture<byte[]> g : gets) {
      assertThat(g.join()).containsExactly(bytes("v"));
    }
  }

  @Test
  void anErrorReplyFailsOnlyItsOwnEntry() throws Exception {
    CoalescingJedisBackend b = CoalescingJedisBackend.of(client, CoalescingJedisBackend.DEFAULT_QUEUE_CAPACITY);
    byte[] key = bytes("errors");
    b.eval(INCR, List.of(key), List.of(bytes("0")));
    List<CompletableFuture<Object>> good = new ArrayList<>();
    List<CompletableFuture<Object>> bad = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      good.add(b.evalAsync(INCR, List.of(key), List.of(bytes("1"))));
      if (i % 10 == 0) {
        bad.add(b.evalAsync(BROKEN, List.of(key), List.of()));
      }
    }
    for (CompletableFuture<Object> f : good) {
      assertThat(f.get(30, TimeUnit.SECONDS)).isInstanceOf(Long.class);
    }
    for (CompletableFuture<Object> f : bad) {
      assertThatThrownBy(() -> f.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
          .cause().hasMessageContaining("Unknown Redis command");
    }
    System.out.printf("300 good and 30 failing script calls in %d pipelines%n", b.batches());
    assertThat(counter(key)).isEqualTo(300);
  }

  @Test
  void aFullQueueRefusesACallAtOnceAndNeverSendsIt() throws Exception {
    CoalescingJedisBackend b = CoalescingJedisBackend.of(client, 4);
    byte[] key = bytes("full");
    b.eval(INCR, List.of(key), List.of(bytes("0")));
    server.pause();
    List<CompletableFuture<Object>> accepted = new ArrayList<>();
    try {
      accepted.add(b.evalAsync(INCR, List.of(key), List.of(bytes("1"))));
      // that one is on the wire, waiting for the paused server; four more fill the queue
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> b.commands() == 2);
      for (int i = 0; i < 4; i++) {
        accepted.add(b.evalAsync(INCR, List.of(key), List.of(bytes("1"))));
      }
      long start = System.nanoTime();
      CompletableFuture<Object> refused = b.evalAsync(INCR, List.of(key), List.of(bytes("1")));
      assertThat(refused).isCompletedExceptionally();
      assertThatThrownBy(() -> b.eval(INCR, List.of(key), List.of(bytes("1"))))
          .isInstanceOf(RejectedExecutionException.class)
          .hasMessageContaining("is full (4 commands waiting)");
      System.out.printf("a full queue refused two calls in %d us%n",
          (System.nanoTime() - start) / 1_000);
    } finally {
      server.resume();
    }
    for (CompletableFuture<Object> f : accepted) {
      try {
        f.get(30, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        // the one on the wire may have timed out while the server was paused
      }
    }
    Thread.sleep(200);
    assertThat(counter(key)).as("refused calls never sent").isLessThanOrEqualTo(5);
  }

  @Test
  void aConnectionFailureFailsItsBatchAndNothingIsRetried() throws Exception {
    CoalescingJedisBackend b = CoalescingJedisBackend.of(client, CoalescingJedisBackend.DEFAULT_QUEUE_CAPACITY);
    byte[] key = bytes("broken-connection");
    b.eval(INCR, List.of(key), List.of(bytes("0")));
    long before = calls("evalsha");
    server.pause();
    List<CompletableFuture<Object>> sent = new ArrayList<>();
    long start = System.nanoTime();
    try {
      for (int i = 0; i < 200; i++) {
        sent.add(b.evalAsync(INCR, List.of(key), List.of(bytes("1"))));
      }
      int failed = 0;
      for (CompletableFuture<Object> f : sent) {
        try {
          f.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          failed++;
        }
      }
      System.out.printf("200 calls to a paused server (1 s socket timeout): %d failed within "
          + "%d ms, in %d pipelines%n", failed, (System.nanoTime() - start) / 1_000_000,
          b.batches() - 1);
      assertThat(failed).isEqualTo(200);
    } finally {
      server.resume();
    }
    // what was written before the timeout may still run once the server wakes: at most once
    Thread.sleep(500);
    long arrived = calls("evalsha") - before;
    System.out.printf("after the server resumed: %d of them ran%n", counter(key));
    assertThat(arrived).as("never sent twice").isLessThanOrEqualTo(200);
    assertThat(counter(key)).isEqualTo(arrived);
    assertThat(b.eval(INCR, List.of(key), List.of(bytes("1")))).as("works again")
        .isEqualTo(arrived + 1);
  }

  @Test
  void aMovedSlotSendsItsEntriesToTheNewOwnerOnce() throws Exception {
    ThrowawayRedis a = ThrowawayRedis.start("--cluster-enabled", "yes");
    ThrowawayRedis c = ThrowawayRedis.start("--cluster-enabled", "yes");
    try {
      ThrowawayClusters.form(List.of(a, c));
      try (RedisClusterClient cluster = ThrowawayClusters.client(List.of(a, c),
          DefaultJedisClientConfig.builder().timeoutMillis(2_000).build())) {
        CoalescingJedisBackend b = CoalescingJedisBackend.of(cluster, CoalescingJedisBackend.DEFAULT_QUEUE_CAPACITY);
        byte[] key = bytes("moved");
        int slot = JedisClusterCRC16.getSlot(key);
        assertThat(slot).as("owned by the first node").isLessThan(8192);
        assertThat(b.eval(INCR, List.of(key), List.of(bytes("1")))).isEqualTo(1L);
        ThrowawayClusters.moveSlot(a, c, slot);
        List<CompletableFuture<Object>> after = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
          after.add(b.evalAsync(INCR, List.of(key), List.of(bytes("1"))));
        }
        for (CompletableFuture<Object> f : after) {
          f.get(30, TimeUnit.SECONDS);
        }
        RedisBackend.ValueTtl read = b.getWithTtlAsync(key).get(30, TimeUnit.SECONDS);
        assertThat(new String(read.value(), UTF_8)).as("a read follows the slot too").isEqualTo("201");
        try (Jedis direct = new Jedis(c.host(), c.port())) {
          System.out.printf("slot %d moved: 200 calls answered by the new owner in %d pipelines%n",
              slot, b.batches());
          assertThat(direct.get("moved")).as("each call ran once, on the new owner").isEqualTo("201");
        }
      }
    } finally {
      a.close();
      c.close();
    }
  }
}
