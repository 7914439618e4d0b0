package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.breaker.CircuitBreaker;
import dev.scaleblocks.core.codec.Codec;
import dev.scaleblocks.core.testing.StallMeter;
import dev.scaleblocks.core.testing.ThrowawayRedis;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.RedisClient;

/**
 * A Redis outage as production sees it: 16 threads calling every kind of cache operation against
 * a throw-away Redis that is paused (SIGSTOP) for 5 s, resumed, killed and restarted on the same
 * port, with the client built as the docs recommend (300 ms socket and connect timeouts, default
 * pool of 8). Every call is timed; the figures are printed and asserted with generous bounds.
 */
class OutageIT {

  private static final Logger log = LoggerFactory.getLogger(OutageIT.class);
  private static final int THREADS = 16;
  private static final int KEYS = 2_000;
  private static final Duration L2_TIMEOUT = Duration.ofMillis(300);

  /**
   * Every finished call: when it started (micros since the log was made), how long it took
   * (micros) and the breaker state at its start. Calls beyond its capacity are counted, not kept.
   */
  private static final class Log {
    static final int CAPACITY = 5_000_000;
    final long origin = System.nanoTime();
    final int[] start = new int[CAPACITY];
    final int[] took = new int[CAPACITY];
    final byte[] state = new byte[CAPACITY];
    final AtomicLong n = new AtomicLong();

    void add(long startNanos, long tookNanos, CircuitBreaker.State s) {
      long i = n.getAndIncrement();
      if (i < CAPACITY) {
        start[(int) i] = (int) ((startNanos - origin) / 1_000);
        took[(int) i] = (int) Math.min(Integer.MAX_VALUE, tookNanos / 1_000);
        state[(int) i] = (byte) s.ordinal();
      }
    }

    int size() {
      return (int) Math.min(n.get(), start.length);
    }
  }

  private static void loaderWork() {
    LockSupport.parkNanos(1_000_000); // a 1 ms database read
  }

  /**
   * The rest of a request's work between two cache calls (parsing, rendering, the response's
   * write): 500 µs off the CPU, as a request thread spends it. Without it the 16 workers of each
   * group would only spin on L1 hits, and the figure would compare the two groups' shares of two
   * cores rather than the time the outage takes from callers.
   */
  private static void requestWork() {
    LockSupport.parkNanos(500_000);
  }

  private final List<Throwable> errors = new CopyOnWriteArrayList<>();

  private List<Thread> run(TieredCache<String, String> cache, CircuitBreaker breaker, Log calls, boolean[] stop) {
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      Thread th = new Thread(() -> {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        while (!stop[0]) {
          String key = "k" + r.nextInt(KEYS);
          int op = r.nextInt(100);
          CircuitBreaker.State s = breaker == null ? CircuitBreaker.State.CLOSED : breaker.state();
          long start = System.nanoTime();
          try {
            if (op < 80) {
              cache.get(key, k -> {
                loaderWork();
                return "v-" + k;
              });
            } else if (op < 84) {
              cache.getAll(List.of(key, "k" + r.nextInt(KEYS), "k" + r.nextInt(KEYS)), ks -> {
                loaderWork();
                Map<String, String> m = new ConcurrentHashMap<>();
                for (String k : ks) {
                  m.put(k, "v-" + k);
                }
                return m;
              });
            } else if (op < 88) {
              cache.put(key, "v-" + key);
            } else if (op < 90) {
              cache.putAll(Map.of(key, "v-" + key));
            } else if (op < 94) {
              cache.invalidate(key);
            } else if (op < 97) {
              cache.getAsync(key, k -> {
                loaderWork();
                return "v-" + k;
              }).get(30, TimeUnit.SECONDS);
            } else {
              cache.putAsync(key, "v-" + key).get(30, TimeUnit.SECONDS);
            }
          } catch (Throwable e) {
            errors.add(e);
          }
          calls.add(start, System.nanoTime() - start, s);
          requestWork();
        }
      }, "outage-worker-" + t);
      th.setDaemon(true);
      th.start();
      threads.add(th);
    }
    return threads;
  }

  private static void stop(List<Thread> threads, boolean[] stop) throws InterruptedException {
    stop[0] = true;
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    for (Thread t : threads) {
      t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
    }
  }

  /** Durations (nanos) of the calls that started in [from, to) (nanoTime), sorted. */
  private static long[] sorted(Log calls, long from, long to, int stateFilter) {
    int n = calls.size();
    long[] out = new long[n];
    long f = (from - calls.origin) / 1_000;
    long t = (to - calls.origin) / 1_000;
    int m = 0;
    for (int i = 0; i < n; i++) {
      if (calls.start[i] >= f && calls.start[i] < t && (stateFilter < 0 || calls.state[i] == stateFilter)) {
        out[m++] = calls.took[i] * 1_000L;
      }
    }
    out = Arrays.copyOf(out, m);
    Arrays.sort(out);
    return out;
  }

  private static long pct(long[] s, double p) {
    return s.length == 0 ? 0 : s[Math.min(s.length - 1, (int) (s.length * p))];
  }

  private static long max(long[] s) {
    return s.length == 0 ? 0 : s[s.length - 1];
  }

  private static String ms(long nanos) {
    return String.format("%.2f ms", nanos / 1e6);
  }

  private static boolean waitForClosed(CircuitBreaker breaker) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      if (breaker.state() == CircuitBreaker.State.CLOSED) {
        return true;
      }
      Thread.sleep(20);
    }
    return false;
  }

  /** The client the cache uses on {@code redis} (Jedis here), closed after the test. */
  protected AutoCloseable connect(ThrowawayRedis redis) {
    return RedisClients.standalone(redis.host(), redis.port());
  }

  /** Gives the builder the client {@link #connect} made. */
  protected <K, V> TieredCacheBuilder<K, V> withClient(TieredCacheBuilder<K, V> builder, AutoCloseable client) {
    return builder.redis((redis.clients.jedis.UnifiedJedis) client);
  }

  @Test
  void everyCallIsBoundedThroughPauseResumeKillAndRestart() throws Exception {
    // baseline: L1 and the loader only, driven by its own 16 threads in the same JVM at the same
    // time, so that both see the same (shared, drifting) machine load
    TieredCache<String, String> l1Only = TieredCache.builder().name("outage-base-" + UUID.randomUUID())
        .l1Ttl(Duration.ofMillis(200)).build();
    Log base = new Log();
    boolean[] stopBase = {false};
    List<Thread> baseThreads = run(l1Only, null, base, stopBase);
    // core defaults, except 2 s open instead of 5 s so that the test sees several half-open trials
    CircuitBreaker breaker = CircuitBreaker.builder("cache.outage-" + UUID.randomUUID())
        .waitDurationInOpenState(Duration.ofSeconds(2)).build();
    try (StallMeter stalls = StallMeter.start();
        ThrowawayRedis redis = ThrowawayRedis.start();
        AutoCloseable client = connect(redis);
        TieredCache<String, String> cache = withClient(TieredCache.builder()
            .name("outage-" + UUID.randomUUID())
            .keyCodec(Codec.utf8())
            .valueCodec(Codec.utf8()), client)
            .l2Timeout(L2_TIMEOUT)
            .l1Ttl(Duration.ofMillis(200))
            .invalidationHeartbeat(Duration.ofMillis(200))
            .circuitBreaker(breaker)
            .build()) {
      Log calls = new Log();
      boolean[] stop = {false};
      List<Thread> threads = run(cache, breaker, calls, stop);
      Thread.sleep(2_000);
      stalls.reset();
      long pauseAt = System.nanoTime();
      redis.pause();
      Thread.sleep(5_000);
      long resumeAt = System.nanoTime();
      redis.resume();
      boolean closedAfterResume = waitForClosed(breaker);
      Thread.sleep(1_000);
      long killAt = System.nanoTime();
      redis.kill();
      Thread.sleep(4_000);
      long restartAt = System.nanoTime();
      redis.restart();
      boolean closedAfterRestart = waitForClosed(breaker);
      Thread.sleep(1_000);
      long endAt = System.nanoTime();
      stop(threads, stop);
      stop(baseThreads, stopBase);
      l1Only.close();

      double basePaused = sorted(base, pauseAt, resumeAt, -1).length / ((resumeAt - pauseAt) / 1e9);
      double baseKilled = sorted(base, killAt, restartAt, -1).length / ((restartAt - killAt) / 1e9);
      long[] all = sorted(calls, pauseAt, endAt, -1);
      long[] paused = sorted(calls, pauseAt, resumeAt, -1);
      long[] killed = sorted(calls, killAt, restartAt, -1);
      long[] open = sorted(calls, pauseAt, endAt, CircuitBreaker.State.OPEN.ordinal());
      assertThat(calls.n.get()).as("calls logged").isLessThan(Log.CAPACITY);
      double pausedRate = paused.length / ((resumeAt - pauseAt) / 1e9);
      double killedRate = killed.length / ((restartAt - killAt) / 1e9);
      log.info("paused 5 s: {} calls/s ({}% of the L1 + loader baseline's {} calls/s meanwhile), p50 {}, p99 {}, max {}",
          (long) pausedRate, (long) (100 * pausedRate / basePaused), (long) basePaused,
          ms(pct(paused, 0.5)), ms(pct(paused, 0.99)), ms(max(paused)));
      log.info("killed: {} calls/s ({}% of the L1 + loader baseline's {} calls/s meanwhile), p50 {}, p99 {}, max {}",
          (long) killedRate, (long) (100 * killedRate / baseKilled), (long) baseKilled,
          ms(pct(killed, 0.5)), ms(pct(killed, 0.99)), ms(max(killed)));
      long slow = 0;
      long slowNanos = 0;
      for (long d : paused) {
        if (d > 50_000_000L) {
          slow++;
          slowNanos += d;
        }
      }
      long[] pausedBase = sorted(base, pauseAt, resumeAt, -1);
      log.info("paused: {} calls over 50 ms, {} thread-seconds in them; p99.9 {} (baseline p99.9 {})", slow,
          String.format("%.2f", slowNanos / 1e9), ms(pct(paused, 0.999)), ms(pct(pausedBase, 0.999)));
      log.info("breaker open: {} calls, p50 {}, p99 {}, max {}", open.length, ms(pct(open, 0.5)),
          ms(pct(open, 0.99)), ms(max(open)));
      log.info("whole outage incl. recovery: {} calls, p99 {}, max {}", all.length, ms(pct(all, 0.99)), ms(max(all)));

      assertThat(closedAfterResume).as("breaker closed after resume").isTrue();
      assertThat(closedAfterRestart).as("breaker closed after restart").isTrue();
      assertThat(errors).as("exceptions seen by callers").isEmpty();
      // one deadline per L2 call: the wait for a pooled connection and for the answer together take at
      // most l2Timeout; generous margin for a noisy machine
      // widened by whatever stalled every thread of this JVM meanwhile (a shared, busy machine)
      long stalled = stalls.longestNanos();
      log.info("longest stall of a thread that only parks for 1 ms, meanwhile: {}", ms(stalled));
      long bound = L2_TIMEOUT.toNanos() + Duration.ofMillis(250).toNanos() + stalled;
      assertThat(max(all)).as("longest call during the outage (ns)").isLessThan(bound);
      assertThat(pct(open, 0.99)).as("p99 of calls with the breaker open (ns)").isLessThan(Duration.ofMillis(20).toNanos());
      // the bar: at least half of what L1 + the loader alone serve meanwhile
      assertThat(pausedRate).as("throughput while paused vs baseline").isGreaterThan(0.5 * basePaused);
      assertThat(killedRate).as("throughput while killed vs baseline").isGreaterThan(0.5 * baseKilled);
    }
  }
}
