package dev.scaleblocks.core.breaker;

import static dev.scaleblocks.core.internal.Checks.requireNonNull;
import static dev.scaleblocks.core.internal.Checks.requirePositive;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.Ticker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
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
 * <h2>Observability</h2>
 *
 * <p>Meters (tag {@code name}): {@code scaleblocks.breaker.state} (gauge per {@code state}, 1 for
 * the current one), {@code scaleblocks.breaker.transitions} ({@code from}, {@code to}), {@code
 * scaleblocks.breaker.calls} ({@code outcome}: success, failure, slow, not_permitted). Every
 * transition is logged (WARN when opening, INFO otherwise) and passed to listeners.
 *
 * <p>Thread-safe. Permission checks while closed are one volatile read; recording an outcome takes
 * a short {@link ReentrantLock} (no I/O under it, so it is safe with virtual threads).
 */
public final class CircuitBreaker {

  private static final Logger log = LoggerFactory.getLogger(CircuitBreaker.class);

  /** The breaker's state. */
  public enum State {
    CLOSED,
    OPEN,
    HALF_OPEN
  }

  /** A state change, passed to listeners registered with {@link #onStateTransition}. */
  public record Transition(String breakerName, State from, State to, String reason) {}

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

  private final List<Consumer<Transition>> listeners = new CopyOnWriteArrayList<>();
  private final Map<State, Map<State, Counter>> transitionCounters = new EnumMap<>(State.class);
  private final Counter successes;
  private final Counter failuresCounter;
  private final Counter slowCounter;
  private final Counter notPermitted;

  private CircuitBreaker(Builder b) {
    this.name = b.name;
    this.failureRateThreshold = b.failureRateThreshold;
    this.slowCallRateThreshold = b.slowCallRateThreshold;
    this.slowCallNanos = b.slowCallDuration.toNanos();
    this.minimumNumberOfCalls = Math.min(b.minimumNumberOfCalls, b.slidingWindowSize);
    this.waitNanos = b.waitDurationInOpenState.toNanos();
    this.permittedCallsInHalfOpenState = b.permittedCallsInHalfOpenState;
    this.ticker = b.ticker;
    this.ring = new byte[b.slidingWindowSize];
    this.stateSince = ticker.read();

    MeterRegistry registry = b.telemetry.meterRegistry();
    for (State s : State.values()) {
      Gauge.builder("scaleblocks.breaker.state", this, cb -> cb.state == s ? 1 : 0)
          .tag("name", name)
          .tag("state", lower(s))
          .description("1 for the breaker's current state, 0 for the others")
          .register(registry);
      Map<State, Counter> to = new EnumMap<>(State.class);
      for (State t : State.values()) {
        if (t != s) {
          to.put(t, Counter.builder("scaleblocks.breaker.transitions")
              .tag("name", name).tag("from", lower(s)).tag("to", lower(t))
              .description("state changes of the circuit breaker")
              .register(registry));
        }
      }
      transitionCounters.put(s, to);
    }
    this.successes = callCounter(registry, "success");
    this.failuresCounter = callCounter(registry, "failure");
    this.slowCounter = callCounter(registry, "slow");
    this.notPermitted = callCounter(registry, "not_permitted");
  }

  private Counter callCounter(MeterRegistry registry, String outcome) {
    return Counter.builder("scaleblocks.breaker.calls")
        .tag("name", name)
        .tag("outcome", outcome)
        .description("calls seen by the circuit breaker")
        .register(registry);
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

  /** Registers a listener called, on the thread that caused it, after every transition. */
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
        lock.unlock();
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
      lock.unlock();
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
      lock.unlock();
    }
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
      lock.unlock();
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

  /** Called with the lock held. */
  private void transition(State to, long now, String reason) {
    State from = state;
    stateSince = now;
    state = to;
    transitionCounters.get(from).get(to).increment();
    if (to == State.OPEN) {
      log.warn("circuit breaker {} opened: {}", name, reason);
    } else {
      log.info("circuit breaker {} {} -> {}: {}", name, lower(from), lower(to), reason);
    }
    Transition t = new Transition(name, from, to, reason);
    for (Consumer<Transition> listener : listeners) {
      try {
        listener.accept(t);
      } catch (RuntimeException e) {
        log.warn("circuit breaker {} listener failed", name, e);
      }
    }
  }

  private static String lower(State s) {
    return s.name().toLowerCase(Locale.ROOT);
  }

  /**
   * Builds a {@link CircuitBreaker}. The defaults suit a Redis or database client whose calls take
   * milliseconds: open at 50% failures or 100% slow calls (≥ 1 s) over the last 20 calls (at least
   * 10 seen), stay open 5 s, then try 3 calls. Not thread-safe.
   */
  public static final class Builder {
    private final String name;
    private double failureRateThreshold = 50;
    private double slowCallRateThreshold = 100;
    private Duration slowCallDuration = Duration.ofSeconds(1);
    private int slidingWindowSize = 20;
    private int minimumNumberOfCalls = 10;
    private Duration waitDurationInOpenState = Duration.ofSeconds(5);
    private int permittedCallsInHalfOpenState = 3;
    private Ticker ticker = Ticker.system();
    private Telemetry telemetry = Telemetry.none();

    private Builder(String name) {
      this.name = dev.scaleblocks.core.internal.Checks.requireNonEmpty(name, "name");
    }

    /** Percent of failed calls, in (0, 100], at which the breaker opens; 50 by default. */
    public Builder failureRateThreshold(double percent) {
      this.failureRateThreshold = percent(percent, "failureRateThreshold");
      return this;
    }

    /** Percent of slow calls, in (0, 100], at which the breaker opens; 100 by default. */
    public Builder slowCallRateThreshold(double percent) {
      this.slowCallRateThreshold = percent(percent, "slowCallRateThreshold");
      return this;
    }

    /** A call taking at least this long counts as slow; 1 s by default. */
    public Builder slowCallDuration(Duration duration) {
      this.slowCallDuration = requirePositive(duration, "slowCallDuration");
      return this;
    }

    /** How many of the most recent calls the closed-state window holds; 20 by default. */
    public Builder slidingWindowSize(int calls) {
      this.slidingWindowSize = requirePositive(calls, "slidingWindowSize");
      return this;
    }

    /** Calls the window must hold before rates are judged; 10 by default (capped at the window size). */
    public Builder minimumNumberOfCalls(int calls) {
      this.minimumNumberOfCalls = requirePositive(calls, "minimumNumberOfCalls");
      return this;
    }

    /** How long the breaker stays open before trial calls; 5 s by default. */
    public Builder waitDurationInOpenState(Duration duration) {
      this.waitDurationInOpenState = requirePositive(duration, "waitDurationInOpenState");
      return this;
    }

    /** Trial calls permitted while half-open; 3 by default. */
    public Builder permittedCallsInHalfOpenState(int calls) {
      this.permittedCallsInHalfOpenState = requirePositive(calls, "permittedCallsInHalfOpenState");
      return this;
    }

    /** The time source; the system ticker by default. */
    public Builder ticker(Ticker ticker) {
      this.ticker = requireNonNull(ticker, "ticker");
      return this;
    }

    /** Where state and calls are reported; nothing by default. */
    public Builder telemetry(Telemetry telemetry) {
      this.telemetry = requireNonNull(telemetry, "telemetry");
      return this;
    }

    private static double percent(double value, String name) {
      if (!(value > 0 && value <= 100)) {
        throw new IllegalArgumentException(name + " must be in (0, 100] but was " + value);
      }
      return value;
    }

    public CircuitBreaker build() {
      return new CircuitBreaker(this);
    }
  }
}
