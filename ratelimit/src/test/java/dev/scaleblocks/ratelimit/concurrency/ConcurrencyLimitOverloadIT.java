package dev.scaleblocks.ratelimit.concurrency;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Load shedding against a service of fixed capacity: 8 workers, 5 ms of work each (off the CPU, as
 * a database call), requests queueing for a worker. Offered 3× what it can serve, open loop (the
 * arrivals do not slow down when the service does): without a limit the queue and the latency grow
 * without bound; with the adaptive limit in front the service keeps ≥ 90 % of its throughput and
 * the admitted requests keep their p99 within 2× the unloaded p99. The figures are printed.
 */
class ConcurrencyLimitOverloadIT {

  private static final Logger log = LoggerFactory.getLogger(ConcurrencyLimitOverloadIT.class);
  private static final int WORKERS = 8;
  private static final long WORK_NANOS = 5_000_000;
  private static final double NOMINAL_CAPACITY = WORKERS * 1e9 / WORK_NANOS; // 1 600 requests/s

  /**
   * What one run saw: completions in the measured part, the latencies of the requests that arrived
   * in it (and completed before its end), refusals.
   */
  private record Run(long completed, long refused, double seconds, long[] latencies) {
    double throughput() {
      return completed / seconds;
    }

    long p99() {
      return latencies.length == 0 ? 0 : latencies[(int) Math.min(latencies.length - 1, latencies.length * 0.99)];
    }
  }

  /**
   * Offers {@code rate} requests/s for {@code seconds}; measures what completes after {@code
   * warmupSeconds}. {@code limit} null: no load shedding.
   */
  private static Run offer(double rate, double seconds, double warmupSeconds, @Nullable ConcurrencyLimit limit)
      throws InterruptedException {
    ThreadPoolExecutor service = new ThreadPoolExecutor(WORKERS, WORKERS, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>());
    long[] latencies = new long[(int) (rate * seconds * 1.2) + 1_000];
    AtomicInteger n = new AtomicInteger();
    AtomicLong completed = new AtomicLong();
    AtomicLong refused = new AtomicLong();
    long start = System.nanoTime();
    long measureFrom = start + (long) (warmupSeconds * 1e9);
    long end = start + (long) (seconds * 1e9);
    long issued = 0;
    StringBuilder trace = new StringBuilder();
    long lastTrace = start;
    while (true) {
      long now = System.nanoTime();
      if (now >= end) {
        break;
      }
      long due = (long) ((now - start) / 1e9 * rate);
      for (; issued < due; issued++) {
        ConcurrencyLimit.Permit permit = limit == null ? null : limit.tryAcquire();
        if (limit != null && permit == null) {
          if (now >= measureFrom) {
            refused.incrementAndGet();
          }
          continue;
        }
        long arrived = System.nanoTime();
        service.execute(() -> {
          // 5 ms of work, whatever the park does (it may return early, for a permit left over)
          long workStart = System.nanoTime();
          long left;
          while ((left = WORK_NANOS - (System.nanoTime() - workStart)) > 0) {
            LockSupport.parkNanos(left);
          }
          long done = System.nanoTime();
          if (permit != null) {
            permit.release();
          }
          if (done >= measureFrom && done < end) {
            completed.incrementAndGet(); // throughput: whatever the service finished meanwhile
          }
          if (arrived >= measureFrom && done < end) {
            int i = n.getAndIncrement();
            if (i < latencies.length) {
              latencies[i] = done - arrived;
            }
          }
        });
      }
      LockSupport.parkNanos(200_000);
      if (limit != null && now - lastTrace >= 250_000_000L) {
        trace.append(limit.limit()).append(' ');
        lastTrace = now;
      }
    }
    if (limit != null) {
      log.info("limit every 250 ms: {}", trace);
    }
    service.shutdownNow();
    service.awaitTermination(10, TimeUnit.SECONDS);
    long[] measured = Arrays.copyOf(latencies, Math.min(n.get(), latencies.length));
    Arrays.sort(measured);
    return new Run(completed.get(), refused.get(), (end - measureFrom) / 1e9, measured);
  }

  private static String ms(long nanos) {
    return String.format("%.1f ms", nanos / 1e6);
  }

  @Test
  void underThreeTimesItsCapacityTheServiceKeepsItsThroughputAndItsLatency() throws Exception {
    offer(0.3 * NOMINAL_CAPACITY, 1, 0, null); // threads, JIT: out of the figures
    Run unloaded = offer(0.3 * NOMINAL_CAPACITY, 3, 0.5, null);
    Run unlimited = offer(3 * NOMINAL_CAPACITY, 3, 0.5, null);
    try (ConcurrencyLimit limit = ConcurrencyLimit.builder("overload").initialLimit(20)
        .window(Duration.ofMillis(50)).windowSamples(20).build()) {
      Run limited = offer(3 * NOMINAL_CAPACITY, 5, 1.5, limit);
      log.info("unloaded (30 % of capacity): {} requests/s, p99 {}", (long) unloaded.throughput(), ms(unloaded.p99()));
      log.info("3× capacity, no limit: {} requests/s, p99 {}, slowest {}", (long) unlimited.throughput(),
          ms(unlimited.p99()), ms(unlimited.latencies()[unlimited.latencies().length - 1]));
      log.info("3× capacity, adaptive limit (now {}): {} requests/s ({} % of the unlimited run's), {} refused, p99 {} ({}× unloaded)",
          limit.limit(), (long) limited.throughput(), Math.round(100 * limited.throughput() / unlimited.throughput()),
          limited.refused(), ms(limited.p99()), String.format("%.2f", (double) limited.p99() / unloaded.p99()));

      // the unlimited service is saturated: its throughput is the capacity, and its queue only grows
      assertThat(unlimited.p99()).as("p99 without a limit (ns)").isGreaterThan(10 * unloaded.p99());
      assertThat(limited.throughput()).as("goodput with the limit vs capacity")
          .isGreaterThanOrEqualTo(0.9 * unlimited.throughput());
      assertThat(limited.p99()).as("p99 of admitted requests (ns) vs 2× unloaded")
          .isLessThanOrEqualTo(2 * unloaded.p99());
      assertThat(limited.refused()).as("requests refused").isPositive();
    }
  }
}
