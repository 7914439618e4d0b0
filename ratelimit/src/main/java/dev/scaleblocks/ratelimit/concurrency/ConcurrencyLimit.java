package dev.scaleblocks.ratelimit.concurrency;

import static dev.scaleblocks.core.internal.Checks.requireInRange;
import static dev.scaleblocks.core.internal.Checks.requireNonEmpty;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;
import static dev.scaleblocks.core.internal.Checks.requireUnset;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.Ticker;
import dev.scaleblocks.core.internal.OwnedMeters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * An adaptive concurrency limit (load shedding): it learns how many requests a service can work on
 * at once from the latency they see, admits up to that many, and refuses the rest at once, so that
 * under overload the service keeps its throughput and the admitted requests keep their latency
 * instead of all of them queueing without bound.
 *
 * <p>The estimate follows TCP Vegas, as Netflix's concurrency-limits does: the latency without load
 * is the lowest second-fastest latency of a window seen (a request that found the service idle;
 * the second rather than the fastest, so that one request answered at once — an error, a cached
 * answer — does not pass for it; taken again from the current window every {@code probeInterval}
 * windows, so a service that became slower for good is learnt). Requests of very different costs
 * behind one limit (fast errors mixed with slow work) still bias it low: give such endpoints limits
 * of their own; in each window of completed requests the queue the service holds is
 * estimated as {@code limit × (1 − noLoadLatency / medianLatency)} (the median, so that a
 * machine's stall of a few requests does not read as a queue). A queue under
 * 2 × log10 of the limit (at least 2) raises the limit by log10 of it (at least 1), one over 4 ×
 * log10 (at least 4) lowers it by as much (Vegas' alpha and beta; Netflix uses 3 and 6, which let a
 * small service's p99 grow past twice its unloaded value: measured 2.5× at 8 workers); work the caller reports as {@link
 * Permit#dropped() dropped} (a timeout, an overload answer from below) cuts it to 90 %. A window in
 * which fewer than half the limit were in flight says nothing about capacity and leaves it alone.
 * So the service runs with a few requests queued: full throughput, latency a few queue places above
 * the unloaded one.
 *
 * <p>Thread-safe. Cost: {@link #tryAcquire()} is one compare-and-set on the in-flight count and
 * allocates a {@link Permit}; a release is a clock read and three atomic operations, and once per
 * window one releasing thread recomputes the limit (a sort of at most 256 latencies; nobody waits
 * for it).
 * Owns its meters ({@code scaleblocks.concurrency.limit}, {@code .inflight}, {@code .rejected},
 * tagged {@code name}) and removes them on {@link #close()}.
 */
public final class ConcurrencyLimit implements AutoCloseable {

  /** What an admitted caller holds; exactly one of its methods must be called, once. */
  public interface Permit {
    /** The work finished (successfully or with an error that says nothing about load); its latency counts. */
    void release();

    /** The work failed because the service is overloaded (a timeout, an overload answer from below). */
    void dropped();

    /** The work says nothing about capacity (cancelled, refused before it started): frees the slot only. */
    void ignore();
  }

  /** Latencies kept per window for its median. */
  private static final int SAMPLES = 256;

  private final String name;
  private final Ticker ticker;
  private final int minLimit;
  private final int maxLimit;
  private final long windowNanos;
  private final int windowSamples;
  private final int probeInterval;
  private final OwnedMeters meters;
  private final Counter rejected;

  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile int limit;

  // the current window
  private final AtomicLong windowStart;
  /** The window's first latencies (racing writers may overwrite a slot: a sample, not an account). */
  private final java.util.concurrent.atomic.AtomicLongArray recent = new java.util.concurrent.atomic.AtomicLongArray(SAMPLES);
  private final AtomicInteger samples = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private final AtomicBoolean droppedInWindow = new AtomicBoolean();
  private final AtomicBoolean updating = new AtomicBoolean();
  // guarded by updating
  private double estimate;
  private double noLoadNanos;
  private int windowsSinceProbe;

  private ConcurrencyLimit(Builder b) {
    this.name = b.name;
    this.ticker = b.ticker;
    this.minLimit = b.minLimit;
    this.maxLimit = b.maxLimit;
    this.windowNanos = b.window.toNanos();
    this.windowSamples = b.windowSamples;
    this.probeInterval = b.probeInterval;
    this.estimate = Math.max(minLimit, Math.min(maxLimit, b.initialLimit));
    this.limit = (int) estimate;
    this.windowStart = new AtomicLong(ticker.read());
    this.meters = OwnedMeters.claim(b.telemetry.meterRegistry(), "concurrency limit", name);
    this.meters.add(Gauge.builder("scaleblocks.concurrency.limit", this, ConcurrencyLimit::limit)
        .tag("name", name).description("requests admitted at once, as learnt").register(meters.registry()));
    this.meters.add(Gauge.builder("scaleblocks.concurrency.inflight", this, ConcurrencyLimit::inFlight)
        .tag("name", name).description("requests admitted and not yet released").register(meters.registry()));
    this.rejected = meters.add(Counter.builder("scaleblocks.concurrency.rejected")
        .tag("name", name).description("requests refused because the limit was reached").register(meters.registry()));
  }

  private static final byte[] PROBLEM = ("{\"type\":\"about:blank\",\"title\":\"Service Unavailable\","
      + "\"status\":503,\"detail\":\"the service is at its concurrency limit; retry shortly\"}")
      .getBytes(java.nio.charset.StandardCharsets.UTF_8);

  /** The {@code application/problem+json} body the servlet and Netty adapters refuse with (a copy). */
  public static byte[] problemBody() {
    return PROBLEM.clone();
  }

  /** A builder for a limit named {@code name} (the meters' tag). */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** A permit when fewer than {@link #limit()} requests are in flight, else {@code null} (counted as rejected). */
  public @Nullable Permit tryAcquire() {
    while (true) {
      int current = inFlight.get();
      if (current >= limit) {
        rejected.increment();
        return null;
      }
      if (inFlight.compareAndSet(current, current + 1)) {
        maxInFlight.accumulateAndGet(current + 1, Math::max);
        return new Held(ticker.read());
      }
    }
  }

  /** The current limit. */
  public int limit() {
    return limit;
  }

  /** Requests admitted and not yet released. */
  public int inFlight() {
    return inFlight.get();
  }

  public String name() {
    return name;
  }

  /** Removes the meters; permits still held may be released afterwards. */
  @Override
  public void close() {
    meters.close();
  }

  @Override
  public String toString() {
    return "ConcurrencyLimit{" + name + ", limit=" + limit + ", inFlight=" + inFlight.get() + '}';
  }

  private final class Held implements Permit {
    private final long start;
    private final AtomicBoolean done = new AtomicBoolean();

    Held(long start) {
      this.start = start;
    }

    @Override
    public void release() {
      if (done.compareAndSet(false, true)) {
        long now = ticker.read();
        inFlight.decrementAndGet();
        record(now, now - start, false);
      }
    }

    @Override
    public void dropped() {
      if (done.compareAndSet(false, true)) {
        long now = ticker.read();
        inFlight.decrementAndGet();
        record(now, now - start, true);
      }
    }

    @Override
    public void ignore() {
      if (done.compareAndSet(false, true)) {
        inFlight.decrementAndGet();
      }
    }
  }

  private void record(long now, long latencyNanos, boolean dropped) {
    if (dropped) {
      droppedInWindow.set(true);
    } else {
      long latency = Math.max(0, latencyNanos);
      int i = samples.getAndIncrement();
      if (i < SAMPLES) {
        recent.set(i, latency);
      }
    }
    long started = windowStart.get();
    if (now - started >= windowNanos
        && (samples.get() >= windowSamples || droppedInWindow.get())
        && updating.compareAndSet(false, true)) {
      try {
        if (windowStart.compareAndSet(started, now)) {
          closeWindow();
        }
      } finally {
        updating.set(false);
      }
    }
  }

  /** Takes the window's figures and moves the limit (one thread at a time: under {@code updating}). */
  private void closeWindow() {
    int n = Math.min(SAMPLES, samples.getAndSet(0));
    long[] window = new long[n];
    for (int i = 0; i < n; i++) {
      window[i] = recent.get(i);
    }
    java.util.Arrays.sort(window);
    int peak = maxInFlight.getAndSet(inFlight.get());
    boolean dropped = droppedInWindow.getAndSet(false);
    double current = estimate;
    double next = current;
    if (dropped) {
      next = current * 0.9;
    } else if (n > 0) {
      double latency = Math.max(1, window[n / 2]); // the median: a stall of a few requests does not move it
      // the window's second-fastest request, not its fastest: one answered at once (an error, a
      // cached answer) must not read as the service's no-load latency
      long low = Math.max(1, window[Math.min(1, n - 1)]);
      if (noLoadNanos == 0 || low < noLoadNanos || ++windowsSinceProbe >= probeInterval) {
        noLoadNanos = low;
        windowsSinceProbe = 0;
      }
      if (peak * 2 >= current) { // enough in flight for the latency to say something about capacity
        double log = Math.max(1, Math.log10(current));
        double queue = current * (1 - noLoadNanos / latency);
        if (queue <= 2 * log) {
          next = current + log;
        } else if (queue >= 4 * log) {
          next = current - log;
        }
      }
    }
    estimate = Math.max(minLimit, Math.min(maxLimit, next));
    limit = (int) Math.round(estimate);
  }

  /**
   * Builds a {@link ConcurrencyLimit}. Each option may be set once; every one has a default. Not
   * thread-safe.
   */
  public static final class Builder {
    private final String name;
    private @Nullable Integer initial;
    private int initialLimit = 20;
    private @Nullable Integer min;
    private int minLimit = 4;
    private @Nullable Integer max;
    private int maxLimit = 1_000;
    private @Nullable Duration windowSet;
    private Duration window = Duration.ofMillis(100);
    private @Nullable Integer samplesSet;
    private int windowSamples = 20;
    private @Nullable Integer probeSet;
    private int probeInterval = 300;
    private @Nullable Ticker tickerSet;
    private Ticker ticker = Ticker.system();
    private @Nullable Telemetry telemetrySet;
    private Telemetry telemetry = Telemetry.none();

    private Builder(String name) {
      this.name = requireNonEmpty(name, "name");
    }

    /** The limit to start from, 1..100 000; 20 by default. */
    public Builder initialLimit(int limit) {
      requireUnset(initial != null, "initialLimit", initial);
      initialLimit = (int) requireInRange(limit, 1, 100_000, "initialLimit");
      initial = limit;
      return this;
    }

    /** The lowest the limit goes, 1..100 000; 4 by default. */
    public Builder minLimit(int limit) {
      requireUnset(min != null, "minLimit", min);
      minLimit = (int) requireInRange(limit, 1, 100_000, "minLimit");
      min = limit;
      return this;
    }

    /** The highest the limit goes, 1..100 000; 1 000 by default. */
    public Builder maxLimit(int limit) {
      requireUnset(max != null, "maxLimit", max);
      maxLimit = (int) requireInRange(limit, 1, 100_000, "maxLimit");
      max = limit;
      return this;
    }

    /**
     * The shortest window the latency is averaged over before the limit moves, 1 ms..1 min; 100 ms
     * by default. A window also needs {@link #windowSamples} completed requests.
     */
    public Builder window(Duration window) {
      requireUnset(windowSet != null, "window", windowSet);
      this.window = requireInRange(window, Duration.ofMillis(1), Duration.ofMinutes(1), "window");
      windowSet = window;
      return this;
    }

    /** Completed requests a window needs, 1..100 000; 20 by default. */
    public Builder windowSamples(int samples) {
      requireUnset(samplesSet != null, "windowSamples", samplesSet);
      windowSamples = (int) requireInRange(samples, 1, 100_000, "windowSamples");
      samplesSet = samples;
      return this;
    }

    /**
     * Every how many windows the latency without load is taken again from the current window,
     * 10..1 000 000; 300 by default (30 s at the default window and steady traffic).
     */
    public Builder probeInterval(int windows) {
      requireUnset(probeSet != null, "probeInterval", probeSet);
      probeInterval = (int) requireInRange(windows, 10, 1_000_000, "probeInterval");
      probeSet = windows;
      return this;
    }

    /** The clock latencies are read from; the system ticker by default. */
    public Builder ticker(Ticker ticker) {
      requireUnset(tickerSet != null, "ticker");
      this.ticker = requireNonNull(ticker, "ticker");
      tickerSet = ticker;
      return this;
    }

    /** Where the meters go; none by default. */
    public Builder telemetry(Telemetry telemetry) {
      requireUnset(telemetrySet != null, "telemetry");
      this.telemetry = requireNonNull(telemetry, "telemetry");
      telemetrySet = telemetry;
      return this;
    }

    /**
     * Builds the limit.
     *
     * @throws IllegalArgumentException when minLimit exceeds maxLimit
     * @throws IllegalStateException when a limit with this name is open on the same meter registry
     */
    public ConcurrencyLimit build() {
      if (minLimit > maxLimit) {
        throw new IllegalArgumentException(
            "minLimit must not exceed maxLimit but was " + minLimit + " > " + maxLimit);
      }
      return new ConcurrencyLimit(this);
    }
  }
}
