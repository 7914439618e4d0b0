package dev.scaleblocks.core.breaker;

import static dev.scaleblocks.core.internal.Checks.requireInRange;
import static dev.scaleblocks.core.internal.Checks.requireNonEmpty;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;
import static dev.scaleblocks.core.internal.Checks.requirePositive;
import static dev.scaleblocks.core.internal.Checks.requireUnset;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.Ticker;
import dev.scaleblocks.core.internal.OwnedMeters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A circuit breaker for calls to a remote store (Redis, a database): when too many recent calls
 * fail or are slow it <em>opens</em> and callers fail fast instead of waiting on a sick server;
 * after a while it lets a few trial calls through (<em>half-open</em>) and closes again when they
 * succeed.
 *
 * <h2>State machine</h2>
 *
 * <ul>
 *   <li><b>CLOSED</b>: every call is permitted and its outcome recorded in a count-based sliding
 *       window of the last {@code slidingWindowSize} calls. Once the window holds at least {@code
 *       minimumNumberOfCalls} outcomes and the failure rate or the slow-call rate reaches its
 *       threshold, the breaker opens.
 *   <li><b>OPEN</b>: {@link #tryAcquirePermission()} answers {@code false} at the cost of one
 *       volatile read and one ticker read, until {@code waitDurationInOpenState} has passed; then
 *       the breaker turns half-open.
 *   <li><b>HALF_OPEN</b>: exactly {@code permittedCallsInHalfOpenState} trial calls are permitted.
 *       When all have reported, the breaker closes (fresh window) if their failure and slow rates
 *       are below the thresholds, or opens again. Trial calls that never report do not wedge it:
 *       after another {@code waitDurationInOpenState} a new set of trial calls is permitted.
 * </ul>
 *
 * <p>Time is read from the injected {@link Ticker}, so tests drive every transition without
 * sleeping. Outcomes that arrive while the breaker is open (calls that started before it opened)
 * are ignored.
 *
 * <h2>Transitions, listeners and logs</h2>
 *
 * <p>The state changes under the lock; the transition is then logged and passed to listeners
 * <em>after</em> the lock is released, in the order the transitions happened (the approach of
 * Resilience4j). Listeners run on a thread that called the breaker, one transition at a time: the
 * thread that finds transitions waiting delivers them, and while it does, other threads that cause
 * transitions only queue them and carry on. So a listener that blocks delays later listener calls
 * but never other callers of the breaker; a listener that throws is logged and the others still
 * run. At most {@value #MAX_PENDING_TRANSITIONS} transitions wait for slow listeners; beyond that
 * the oldest are dropped (and counted in a log line). Keep listeners short.
 *
 * <p>A breaker that flaps must not flood the log: for each target state at most one transition
 * line is written per {@value #LOG_INTERVAL_SECONDS} seconds (of the injected ticker), WARN when it
 * opens and INFO otherwise; the next line written for that state says how many were left out
 * (those go to DEBUG). The {@code transitions} counter and the {@code state} gauge count every
 * one.
 *
 * <h2>Meters</h2>
 *
 * <p>Registered when the breaker is built, removed by {@link #close()}. Tag {@code name}: {@code
 * scaleblocks.breaker.state} (gauge per {@code state}, 1 for the current one), {@code
 * scaleblocks.breaker.transitions} ({@code from}, {@code to}), {@code scaleblocks.breaker.calls}
 * ({@code outcome}: success, failure, slow, not_permitted). Building a second breaker with the same
 * name on the same {@link MeterRegistry} while the first is open throws {@link
 * IllegalStateException}: close the first or choose another name. With {@link Telemetry#none()}
 * (the default) nothing is reported and names are not checked.
 *
 * <p>Thread-safe. Permission checks while closed are one volatile read; recording an outcome takes
 * a short {@link ReentrantLock} (no I/O, logging or user code under it, so it is safe with virtual
 * threads). A transition costs its log line (at most one per state per interval) and the
 * listeners' time, paid by the calling thread that delivers it.
 */
public final class CircuitBreaker implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(CircuitBreaker.class);

  /** The breaker's state. */
  public enum State {
    CLOSED,
    OPEN,
    HALF_OPEN
  }

  /** A state change, passed to listeners registered with {@link #onStateTransition}. */
  public record Transition(String breakerName, State from, State to, String reason) {}

  /** Transition log lines per target state are limited to one per this many seconds. */
  static final int LOG_INTERVAL_SECONDS = 10;

  /** The largest sliding window: its ring takes one byte per call. */
  static final int MAX_WINDOW = 1_000_000;

  /** Transitions that may wait for a slow listener before the oldest are dropped. */
  static final int MAX_PENDING_TRANSITIONS = 1024;

  private static final long LOG_INTERVAL_NANOS = Duration.ofSeconds(LOG_INTERVAL_SECONDS).toNanos();

  private static final byte SUCCESS = 0;
  private static final byte FAILURE = 1;
  private static final byte SLOW_SUCCESS = 2;
  private static final byte SLOW_FAILURE = 3;

  private final String name;
  private final double failureRateThreshold;
  private final double slowCallRateThreshold;
  private final long slowCallNanos;
  private final int minimumNumberOfCalls;
  private final long waitNanos;
  private final int permittedCallsInHalfOpenState;
  private final Ticker ticker;

  private final ReentrantLock lock = new ReentrantLock();
  private final byte[] ring;
  private int ringIndex;
  private int recorded;
  private int failures;
  private int slow;
  private int halfOpenPermits;
  private int halfOpenRecorded;
  private int halfOpenFailures;
  private int halfOpenSlow;
  private volatile State state = State.CLOSED;
  private volatile long stateSince;

  /** Transitions made but not yet logged and passed to listeners; guarded by {@link #lock}. */
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  /** A thread is delivering {@link #pending}; guarded by {@link #lock}. */
  private boolean dispatching;
  /** Transitions dropped because listeners were too slow; guarded by {@link #lock}. */
  private long droppedTransitions;

  // Log limiting, touched only by the delivering thread (handed over under the lock).
  private final long[] lastLogged = new long[State.values().length];
  private final boolean[] everLogged = new boolean[State.values().length];
  private final long[] notLogged = new long[State.values().length];

  private final List<Consumer<Transition>> listeners = new CopyOnWriteArrayList<>();
  private final Map<State, Map<State, Counter>> transitionCounters = new EnumMap<>(State.class);
  private final MeterRegistry registry;
  private final OwnedMeters meters;
  private final Counter successes;
  private final Counter failuresCounter;
  private final Counter slowCounter;
  private final Counter notPermitted;

  private record Pending(Transition transition, long at) {}

  private CircuitBreaker(Builder b) {
    this.name = b.name;
    this.failureRateThreshold = orDefault(b.failureRateThreshold, 50);
    this.slowCallRateThreshold = orDefault(b.slowCallRateThreshold, 100);
    this.slowCallNanos = orDefault(b.slowCallDuration, Duration.ofSeconds(1)).toNanos();
    int window = b.slidingWindowSize > 0 ? b.slidingWindowSize : 20;
    this.minimumNumberOfCalls = Math.min(b.minimumNumberOfCalls > 0 ? b.minimumNumberOfCalls : 10, window);
    this.waitNanos = orDefault(b.waitDurationInOpenState, Duration.ofSeconds(5)).toNanos();
    this.permittedCallsInHalfOpenState =
        b.permittedCallsInHalfOpenState > 0 ? b.permittedCallsInHalfOpenState : 3;
    this.ticker = orDefault(b.ticker, Ticker.system());
    this.ring = new byte[window];
    this.stateSince = ticker.read();
    this.registry = orDefault(b.telemetry, Telemetry.none()).meterRegistry();
    this.meters = OwnedMeters.claim(registry, "circuit breaker", name);
    try {
      for (State s : State.values()) {
        meters.add(Gauge.builder("scaleblocks.breaker.state", this, cb -> cb.state == s ? 1 : 0)
            .tag("name", name)
            .tag("state", lower(s))
            .description("1 for the breaker's current state, 0 for the others")
            .register(registry));
        Map<State, Counter> to = new EnumMap<>(State.class);
        for (State t : State.values()) {
          if (t != s) {
            Counter c = Counter.builder("scaleblocks.breaker.transitions")
                .tag("name", name).tag("from", lower(s)).tag("to", lower(t))
                .description("state changes of the circuit breaker")
                .register(registry);
            meters.add(c);
            to.put(t, c);
          }
        }
        transitionCounters.put(s, to);
      }
      this.successes = callCounter("success");
      this.failuresCounter = callCounter("failure");
      this.slowCounter = callCounter("slow");
      this.notPermitted = callCounter("not_permitted");
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  private static double orDefault(double value, double otherwise) {
    return Double.isNaN(value) ? otherwise : value;
  }

  private static <T> T orDefault(@Nullable T value, T otherwise) {
    return value != null ? value : otherwise;
  }

  private Counter callCounter(String outcome) {
    Counter c = Counter.builder("scaleblocks.breaker.calls")
        .tag("name", name)
        .tag("outcome", outcome)
        .description("calls seen by the circuit breaker")
        .register(registry);
    meters.add(c);
    return c;
  }

  /** Starts a breaker called {@code name} (the {@code name} tag of its meters). */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  public String name() {
    return name;
  }

  /** The current state. May move from OPEN to HALF_OPEN only when permission is next asked. */
  public State state() {
    return state;
  }

  /**
   * Registers a listener called after every transition, outside the breaker's lock, in the order
   * the transitions happened, on a thread that called the breaker (see the class notes). A listener
   * that throws is logged and does not affect the breaker or the other listeners.
   */
  public void onStateTransition(Consumer<Transition> listener) {
    listeners.add(requireNonNull(listener, "listener"));
  }

  /**
   * Asks to make a call. {@code true} obliges the caller to report the outcome with {@link
   * #onSuccess} or {@link #onError}; {@code false} means fail fast without calling.
   */
  public boolean tryAcquirePermission() {
    State s = state;
    if (s == State.CLOSED) {
      return true;
    }
    long now = ticker.read();
    if (s == State.OPEN) {
      if (now - stateSince < waitNanos) {
        notPermitted.increment();
        return false;
      }
      lock.lock();
      try {
        if (state == State.OPEN && now - stateSince >= waitNanos) {
          enterHalfOpen(now, "open for " + Duration.ofNanos(now - stateSince));
        }
      } finally {
        unlockAndDispatch();
      }
    }
    lock.lock();
    try {
      if (state == State.CLOSED) {
        return true;
      }
      if (state == State.HALF_OPEN) {
        if (halfOpenPermits > 0) {
          halfOpenPermits--;
          return true;
        }
        if (now - stateSince >= waitNanos) {
          // trial calls that never reported: start a new round of them
          enterHalfOpen(now, "trial calls did not report within " + Duration.ofNanos(waitNanos));
          halfOpenPermits--;
          return true;
        }
      }
    } finally {
      unlockAndDispatch();
    }
    notPermitted.increment();
    return false;
  }

  /** Records a permitted call that succeeded after {@code durationNanos}. */
  public void onSuccess(long durationNanos) {
    record(durationNanos >= slowCallNanos ? SLOW_SUCCESS : SUCCESS);
  }

  /** Records a permitted call that failed after {@code durationNanos}. */
  public void onError(long durationNanos, Throwable error) {
    requireNonNull(error, "error");
    record(durationNanos >= slowCallNanos ? SLOW_FAILURE : FAILURE);
  }

  /**
   * Runs {@code call} if permitted, timing it with the ticker and recording its outcome.
   *
   * @throws CallNotPermittedException when the breaker does not permit the call
   * @throws Exception whatever {@code call} threw
   */
  public <T> T call(Callable<T> call) throws Exception {
    requireNonNull(call, "call");
    if (!tryAcquirePermission()) {
      throw new CallNotPermittedException(name, state);
    }
    long start = ticker.read();
    try {
      T result = call.call();
      onSuccess(ticker.read() - start);
      return result;
    } catch (Exception | Error e) {
      onError(ticker.read() - start, e);
      throw e;
    }
  }

  /** Forces the breaker closed with an empty window (an operator's override). */
  public void reset() {
    lock.lock();
    try {
      if (state != State.CLOSED) {
        transition(State.CLOSED, ticker.read(), "reset");
      }
      clearWindow();
    } finally {
      unlockAndDispatch();
    }
  }

  /**
   * Removes this breaker's meters from the registry and frees its name there, so that a breaker of
   * the same name can be built. Idempotent. The breaker keeps working afterwards but reports no
   * meters. A component that built its own breaker closes it; a breaker you hand to a cache or a
   * limiter stays yours to close.
   */
  @Override
  public void close() {
    meters.close();
  }


  /** Failure rate in percent over the closed-state window, or -1 below the minimum number of calls. */
  public double failureRate() {
    lock.lock();
    try {
      return recorded < minimumNumberOfCalls ? -1 : 100.0 * failures / recorded;
    } finally {
      lock.unlock();
    }
  }

  private void record(byte outcome) {
    boolean isFailure = outcome == FAILURE || outcome == SLOW_FAILURE;
    boolean isSlow = outcome == SLOW_SUCCESS || outcome == SLOW_FAILURE;
    (isFailure ? failuresCounter : successes).increment();
    if (isSlow) {
      slowCounter.increment();
    }
    State s = state;
    if (s == State.OPEN) {
      return;
    }
    lock.lock();
    try {
      long now = ticker.read();
      if (state == State.CLOSED) {
        if (recorded == ring.length) {
          byte old = ring[ringIndex];
          if (old == FAILURE || old == SLOW_FAILURE) {
            failures--;
          }
          if (old == SLOW_SUCCESS || old == SLOW_FAILURE) {
            slow--;
          }
        } else {
          recorded++;
        }
        ring[ringIndex] = outcome;
        ringIndex = (ringIndex + 1) % ring.length;
        if (isFailure) {
          failures++;
        }
        if (isSlow) {
          slow++;
        }
        if (recorded >= minimumNumberOfCalls) {
          double failureRate = 100.0 * failures / recorded;
          double slowRate = 100.0 * slow / recorded;
          if (failureRate >= failureRateThreshold || slowRate >= slowCallRateThreshold) {
            transition(State.OPEN, now, reason(failureRate, slowRate, recorded));
          }
        }
      } else if (state == State.HALF_OPEN) {
        halfOpenRecorded++;
        if (isFailure) {
          halfOpenFailures++;
        }
        if (isSlow) {
          halfOpenSlow++;
        }
        if (halfOpenRecorded >= permittedCallsInHalfOpenState) {
          double failureRate = 100.0 * halfOpenFailures / halfOpenRecorded;
          double slowRate = 100.0 * halfOpenSlow / halfOpenRecorded;
          if (failureRate >= failureRateThreshold || slowRate >= slowCallRateThreshold) {
            transition(State.OPEN, now, "trial calls: " + reason(failureRate, slowRate, halfOpenRecorded));
          } else {
            clearWindow();
            transition(State.CLOSED, now, "trial calls succeeded");
          }
        }
      }
    } finally {
      unlockAndDispatch();
    }
  }

  private static String reason(double failureRate, double slowRate, int calls) {
    return String.format(Locale.ROOT, "failure rate %.1f%%, slow-call rate %.1f%% over %d calls",
        failureRate, slowRate, calls);
  }

  private void enterHalfOpen(long now, String reason) {
    halfOpenPermits = permittedCallsInHalfOpenState;
    halfOpenRecorded = 0;
    halfOpenFailures = 0;
    halfOpenSlow = 0;
    if (state != State.HALF_OPEN) {
      transition(State.HALF_OPEN, now, reason);
    } else {
      stateSince = now;
    }
  }

  private void clearWindow() {
    recorded = 0;
    ringIndex = 0;
    failures = 0;
    slow = 0;
  }

  /** Changes the state and queues the transition for delivery. Called with the lock held. */
  private void transition(State to, long now, String reason) {
    State from = state;
    stateSince = now;
    state = to;
    // the constructor registers a counter for every pair of distinct states
    Map<State, Counter> fromCounters = requireNonNull(transitionCounters.get(from), "from");
    requireNonNull(fromCounters.get(to), "to").increment();
    if (pending.size() == MAX_PENDING_TRANSITIONS) {
      pending.poll();
      droppedTransitions++;
    }
    pending.add(new Pending(new Transition(name, from, to, reason), now));
  }

  /**
   * Releases the lock, then, unless another thread is already at it, logs and delivers the queued
   * transitions one by one, outside the lock, until none is left.
   */
  private void unlockAndDispatch() {
    boolean deliver = !dispatching && !pending.isEmpty();
    if (deliver) {
      dispatching = true;
    }
    lock.unlock();
    if (deliver) {
      deliverPending();
    }
  }

  private void deliverPending() {
    try {
      while (true) {
        Pending next;
        long dropped;
        lock.lock();
        try {
          next = pending.poll();
          if (next == null) {
            dispatching = false;
            return;
          }
          dropped = droppedTransitions;
          droppedTransitions = 0;
        } finally {
          lock.unlock();
        }
        if (dropped > 0) {
          log.warn("circuit breaker {}: {} transitions were not passed to listeners, which were too slow",
              name, dropped);
        }
        deliver(next);
      }
    } catch (RuntimeException | Error e) {
      // only an Error from a listener gets here; let the next transition deliver what is left
      lock.lock();
      try {
        dispatching = false;
      } finally {
        lock.unlock();
      }
      throw e;
    }
  }

  private void deliver(Pending p) {
    Transition t = p.transition();
    logTransition(t, p.at());
    for (Consumer<Transition> listener : listeners) {
      try {
        listener.accept(t);
      } catch (RuntimeException e) {
        log.warn("circuit breaker {} listener failed on {} -> {}", name, lower(t.from()), lower(t.to()), e);
      }
    }
  }

  /** At most one line per target state per {@link #LOG_INTERVAL_SECONDS}; the rest go to DEBUG. */
  @SuppressWarnings("EnumOrdinal") // indexes the per-state arrays, sized by State.values().length
  private void logTransition(Transition t, long at) {
    int i = t.to().ordinal();
    if (everLogged[i] && at - lastLogged[i] < LOG_INTERVAL_NANOS) {
      notLogged[i]++;
      log.debug("circuit breaker {} {} -> {}: {}", name, lower(t.from()), lower(t.to()), t.reason());
      return;
    }
    String left = "";
    if (notLogged[i] > 0) {
      left = String.format(Locale.ROOT, " (%d more transitions to %s since the last such line, %.1f s ago)",
          notLogged[i], lower(t.to()), (at - lastLogged[i]) / 1e9);
    }
    everLogged[i] = true;
    lastLogged[i] = at;
    notLogged[i] = 0;
    if (t.to() == State.OPEN) {
      log.warn("circuit breaker {} opened: {}{}", name, t.reason(), left);
    } else {
      log.info("circuit breaker {} {} -> {}: {}{}", name, lower(t.from()), lower(t.to()), t.reason(), left);
    }
  }

  private static String lower(State s) {
    return s.name().toLowerCase(Locale.ROOT);
  }

  /**
   * Builds a {@link CircuitBreaker}. The defaults suit a Redis or database client whose calls take
   * milliseconds: open at 50% failures or 100% slow calls (≥ 1 s) over the last 20 calls (at least
   * 10 seen), stay open 5 s, then try 3 calls. Each option may be set once (a second call throws
   * {@link IllegalStateException}); each is checked when set. Not thread-safe.
   */
  public static final class Builder {
    private final String name;
    private double failureRateThreshold = Double.NaN;
    private double slowCallRateThreshold = Double.NaN;
    private @Nullable Duration slowCallDuration;
    private int slidingWindowSize;
    private int minimumNumberOfCalls;
    private @Nullable Duration waitDurationInOpenState;
    private int permittedCallsInHalfOpenState;
    private @Nullable Ticker ticker;
    private @Nullable Telemetry telemetry;

    private Builder(String name) {
      this.name = requireNonEmpty(name, "name");
    }

    /** Percent of failed calls, in (0, 100], at which the breaker opens; 50 by default. */
    public Builder failureRateThreshold(double percent) {
      requireUnset(!Double.isNaN(failureRateThreshold), "failureRateThreshold", failureRateThreshold);
      this.failureRateThreshold = percent(percent, "failureRateThreshold");
      return this;
    }

    /** Percent of slow calls, in (0, 100], at which the breaker opens; 100 by default. */
    public Builder slowCallRateThreshold(double percent) {
      requireUnset(!Double.isNaN(slowCallRateThreshold), "slowCallRateThreshold", slowCallRateThreshold);
      this.slowCallRateThreshold = percent(percent, "slowCallRateThreshold");
      return this;
    }

    /** A call taking at least this long counts as slow; in (0, 100 years], 1 s by default. */
    public Builder slowCallDuration(Duration duration) {
      requireUnset(slowCallDuration != null, "slowCallDuration", slowCallDuration);
      this.slowCallDuration = requirePositive(duration, "slowCallDuration");
      return this;
    }

    /** How many of the most recent calls the closed-state window holds, in [1, 1000000]; 20 by default. */
    public Builder slidingWindowSize(int calls) {
      requireUnset(slidingWindowSize > 0, "slidingWindowSize", slidingWindowSize);
      this.slidingWindowSize = (int) requireInRange(calls, 1, MAX_WINDOW, "slidingWindowSize");
      return this;
    }

    /** Calls the window must hold before rates are judged; 10 by default (capped at the window size). */
    public Builder minimumNumberOfCalls(int calls) {
      requireUnset(minimumNumberOfCalls > 0, "minimumNumberOfCalls", minimumNumberOfCalls);
      this.minimumNumberOfCalls = requirePositive(calls, "minimumNumberOfCalls");
      return this;
    }

    /** How long the breaker stays open before trial calls; in (0, 100 years], 5 s by default. */
    public Builder waitDurationInOpenState(Duration duration) {
      requireUnset(waitDurationInOpenState != null, "waitDurationInOpenState", waitDurationInOpenState);
      this.waitDurationInOpenState = requirePositive(duration, "waitDurationInOpenState");
      return this;
    }

    /** Trial calls permitted while half-open; 3 by default. */
    public Builder permittedCallsInHalfOpenState(int calls) {
      requireUnset(permittedCallsInHalfOpenState > 0, "permittedCallsInHalfOpenState",
          permittedCallsInHalfOpenState);
      this.permittedCallsInHalfOpenState = requirePositive(calls, "permittedCallsInHalfOpenState");
      return this;
    }

    /** The time source; the system ticker by default. */
    public Builder ticker(Ticker ticker) {
      requireUnset(this.ticker != null, "ticker");
      this.ticker = requireNonNull(ticker, "ticker");
      return this;
    }

    /** Where state and calls are reported; nothing by default. */
    public Builder telemetry(Telemetry telemetry) {
      requireUnset(this.telemetry != null, "telemetry");
      this.telemetry = requireNonNull(telemetry, "telemetry");
      return this;
    }

    private static double percent(double value, String name) {
      if (!(value > 0 && value <= 100)) {
        throw new IllegalArgumentException(name + " must be in (0, 100] but was " + value);
      }
      return value;
    }

    /**
     * Builds the breaker and registers its meters.
     *
     * @throws IllegalStateException when a breaker of the same name is open on the same meter
     *     registry
     */
    public CircuitBreaker build() {
      return new CircuitBreaker(this);
    }
  }
}
