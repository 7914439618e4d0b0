package dev.scaleblocks.core.internal.redis;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.redis.RedisScript;
import dev.scaleblocks.core.testing.TestServices;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * Replies never cross, on the shared standalone Redis and on the shared Cluster: many threads,
 * each with keys of its own, mix queued calls (a script, blocking and asynchronous, and GET) with
 * calls passed straight to the client's pool (GET with PTTL, MGET, SET, DEL) on the same keys, and
 * check every reply against the key it asked about. The script also counts each call on a key of
 * its own: each reply must be 1 (each call ran exactly once).
 */
class CoalescingJedisRepliesIT {

  /** Counts this call on its own key and returns that count with the key and argument it got. */
  static final RedisScript ECHO = RedisScript.of("coalescing-echo",
      "local n = redis.call('INCR', KEYS[1]) redis.call('PEXPIRE', KEYS[1], 60000) "
          + "return {KEYS[1], ARGV[1], n}");

  private static final int THREADS = 16;
  private static final int CALLS = 400;

  @Test
  void standaloneRepliesNeverCross() throws Exception {
    InetSocketAddress redis = TestServices.redis();
    try (UnifiedJedis client = RedisClient.create(redis.getHostString(), redis.getPort())) {
      check(client);
    }
  }

  @Test
  void clusterRepliesNeverCross() throws Exception {
    Set<HostAndPort> seeds = new HashSet<>();
    for (InetSocketAddress node : TestServices.redisCluster()) {
      seeds.add(new HostAndPort(node.getHostString(), node.getPort()));
    }
    try (UnifiedJedis client = RedisClusterClient.create(seeds)) {
      check(client);
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }

  private static void check(UnifiedJedis client) throws Exception {
    CoalescingJedisBackend b =
        CoalescingJedisBackend.of(client, CoalescingJedisBackend.DEFAULT_QUEUE_CAPACITY);
    String run = "scaleblocks:test:replies:" + UUID.randomUUID() + ":";
    CountDownLatch go = new CountDownLatch(1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    AtomicLong checked = new AtomicLong();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int thread = t;
      Thread w = new Thread(() -> {
        try {
          go.await();
          for (int i = 0; i < CALLS; i++) {
            // distinct keys spread over every slot: each call's own
            String own = run + thread + ":" + i;
            byte[] counter = bytes(own + ":n");
            byte[] value = bytes(own + ":v");
            byte[] arg = bytes(thread + "/" + i);
            b.set(value, value, Duration.ofMinutes(1)); // straight to the pool
            List<?> reply;
            if (i % 2 == 0) {
              reply = (List<?>) b.eval(ECHO, List.of(counter), List.of(arg));
            } else {
              reply = (List<?>) b.evalAsync(ECHO, List.of(counter), List.of(arg))
                  .get(30, TimeUnit.SECONDS);
            }
            assertThat((byte[]) reply.get(0)).as("the script's key").isEqualTo(counter);
            assertThat((byte[]) reply.get(1)).as("the script's argument").isEqualTo(arg);
            assertThat(reply.get(2)).as("ran exactly once").isEqualTo(1L);
            CompletableFuture<byte[]> queuedGet = b.getAsync(value);
            RedisBackend.ValueTtl direct = b.getWithTtl(value); // straight to the pool
            assertThat(direct.value()).as("GET with PTTL").isEqualTo(value);
            assertThat(queuedGet.get(30, TimeUnit.SECONDS)).as("queued GET").isEqualTo(value);
            assertThat(b.get(counter)).as("blocking queued GET").isEqualTo(bytes("1"));
            if (i % 10 == 0) {
              assertThat(b.mget(List.of(value, counter))).containsExactly(value, bytes("1"));
            }
            assertThat(b.del(List.of(value, counter))).isEqualTo(2);
            checked.incrementAndGet();
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      }, "replies-" + t);
      w.start();
      workers.add(w);
    }
    go.countDown();
    for (Thread w : workers) {
      w.join(300_000);
    }
    b.disconnect();
    System.out.printf("%s: %d calls from %d threads, %d checked; %d batches, %.1f commands each "
        + "on average, largest %d%n", b.cluster() ? "cluster" : "standalone", THREADS * CALLS,
        THREADS, checked.get(), b.batches(), (double) b.commands() / b.batches(),
        b.largestBatch());
    if (failure.get() != null) {
      throw new AssertionError("a reply crossed or failed", failure.get());
    }
    assertThat(checked.get()).isEqualTo((long) THREADS * CALLS);
    assertThat(b.largestBatch()).as("calls in flight shared batches").isGreaterThan(1);
  }
}
