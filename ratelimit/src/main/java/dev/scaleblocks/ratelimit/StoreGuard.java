package dev.scaleblocks.ratelimit;

import dev.scaleblocks.core.Ticker;
import dev.scaleblocks.core.breaker.CircuitBreaker;
import dev.scaleblocks.core.internal.Checks;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The guard of the remote path: runs each store call on a bounded executor — or, for a client
 * that does not block (Lettuce), sends it from the caller's thread with no hand-off — bounds how
 * long the caller waits, and tells the circuit breaker about calls that reached Redis — and only
 * those.
 *
 * <h2>Whose fault is a late answer?</h2>
 *
 * <p>A call spends time in two places: waiting for a local slot (a store thread, a lease lock) and
 * in Redis. The timeout applies to each separately, and only the second is Redis' business:
 *
 * <ul>
 *   <li><b>in Redis</b> (from the moment the body calls {@link Attempt#enterRedis()}): an answer,
 *       an error, or no answer within the timeout is reported to the breaker with the time spent
 *       in Redis; the last two end as {@link Failed}, for the failure policy.
 *   <li><b>waiting locally</b>: a call still queued when the timeout has passed since it was
 *       submitted is abandoned (it will never run), and a full queue refuses it at once. Neither
 *       is reported to the breaker. They end as {@link Overloaded} — this client is too busy —
 *       unless a call has been waiting on Redis for longer than the timeout right then (the store
 *       threads are stuck on a sick Redis), in which case they end as {@link Failed}.
 * </ul>
 *
 * <p>So a caller waits at most the timeout for a store thread plus the timeout in Redis (plus a
 * lease lock's wait, itself bounded by the timeout); with a free store thread, the timeout.
 * Timeouts run on the system clock, whatever ticker the limiter uses for its state.
 *
 * <h2>A client that does not block</h2>
 *
 * <p>{@link #callNonBlocking} and {@link #awaitNonBlocking} take a body that sends the call and
 * returns its future at once. There is no store thread to wait for: the call is in Redis from the
 * moment it is sent (time it spends in the client's own queue counts against Redis, as a pooled
 * connection's wait does on the executor path), and the same rules apply from there — an answer
 * or an error reaches the breaker with its time, no answer within the timeout is a {@link Failed}
 * reported once, and whichever comes first decides: a late answer is dropped. The local slot is a
 * bound on calls in flight: past it a call is refused at once, as a full queue refuses one
 * ({@link Overloaded}, or {@link Failed} while a call has been in Redis longer than the timeout).
 *
 * <p>A call the breaker permitted but that never reached Redis (abandoned in the queue, answered
 * from a lease) reports nothing; while half-open, such a trial permit comes back only after the
 * breaker's wait, as for any trial call that never reports.
 *
 * <p>Thread-safe. Costs per call: one executor hand-off (none for a non-blocking client), a set
 * insert and removal, and for the asynchronous forms one scheduled check per timeout.
 */
final class StoreGuard implements AutoCloseable {

  /** How a guarded call ended. */
  sealed interface Result permits Answered, Overloaded, Failed {}

  /** Redis answered in time. */
  record Answered(Outcome outcome) implements Result {}

  /** The call could not get a local slot in time: this client is busy, Redis may well be fine. */
  record Overloaded(String reason) implements Result {}

  /**
   * Redis failed or did not answer in time ({@code breakerOpen} false), or the breaker is open
   * and no call was made ({@code breakerOpen} true).
   */
  record Failed(String reason, boolean breakerOpen) implements Result {}

  /** The work of one call, run on a store thread. */
  @FunctionalInterface
  interface Body {
    /**
     * Decides, calling {@link Attempt#enterRedis()} right before it sends anything to Redis (a
     * body that answers from memory never calls it). Throws {@link LocalWaitTimeout} when a local
     * slot it needs could not be had in time.
     */
    Outcome run(Attempt attempt) throws Exception;
  }

  /** The work of one call on a client that does not block: sends it and returns at once. */
  @FunctionalInterface
  interface AsyncBody {
    /** Sends the call; the future completes with Redis' answer (on the client's I/O thread). */
    CompletableFuture<Outcome> send();
  }

  /** A local slot (a lock, a pool) could not be had in time; not a Redis failure. */
  static final class LocalWaitTimeout extends Exception {
    private static final long serialVersionUID = 1L;

    /** The message, non-null (unlike {@link #getMessage()} in general). */
    final String reason;

    LocalWaitTimeout(String message) {
      super(message, null, false, false);
      this.reason = message;
    }
  }

  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final long FINISHED = Long.MIN_VALUE;

  private final ThreadPoolExecutor executor;
  private final CircuitBreaker breaker;
  private final long timeoutNanos;
  private final String timeoutText;
  private final Ticker clock = Ticker.system();
  private final Set<Attempt> inRedis = ConcurrentHashMap.newKeySet();
  private final int maxInFlight;
  private final AtomicInteger inFlight = new AtomicInteger();

  StoreGuard(ThreadPoolExecutor executor, CircuitBreaker breaker, Duration timeout) {
    this(executor, breaker, timeout, Integer.MAX_VALUE);
  }

  /** {@code maxInFlight}: most non-blocking calls sent and not yet answered. */
  StoreGuard(ThreadPoolExecutor executor, CircuitBreaker breaker, Duration timeout,
      int maxInFlight) {
    this.executor = executor;
    this.breaker = breaker;
    this.timeoutNanos = timeout.toNanos();
    this.timeoutText = timeout.toString();
    this.maxInFlight = maxInFlight;
  }

  long timeoutNanos() {
    return timeoutNanos;
  }

  /** Runs {@code body} and waits for how it ends (see the class comment for how long). */
  Result call(Body body) {
    if (!breaker.tryAcquirePermission()) {
      return new Failed("circuit breaker open", true);
    }
    Attempt a = new Attempt(body, clock.read());
    try {
      executor.execute(a);
    } catch (RejectedExecutionException e) {
      return busy("store queue full");
    }
    long deadline = a.submittedAt + timeoutNanos;
    while (true) {
      long wait = deadline - clock.read();
      if (wait > 0) {
        try {
          return a.result.get(wait, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
          // a deadline passed: see below
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          a.state.compareAndSet(Attempt.NEW, Attempt.ABANDONED);
          return new Overloaded("interrupted while waiting for the store");
        } catch (ExecutionException e) {
          throw new IllegalStateException(e); // never: results complete normally
        }
      }
      deadline = check(a);
      if (deadline == FINISHED) {
        return a.result.join();
      }
    }
  }

  /** The same without blocking: the future completes on a store thread or a timer thread. */
  CompletableFuture<Result> callAsync(Body body) {
    if (!breaker.tryAcquirePermission()) {
      return CompletableFuture.completedFuture(new Failed("circuit breaker open", true));
    }
    Attempt a = new Attempt(body, clock.read());
    try {
      executor.execute(a);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.completedFuture(busy("store queue full"));
    }
    checkAt(a, a.submittedAt + timeoutNanos);
    return a.result;
  }

  /**
   * Sends {@code body} from this thread, with no hand-off, and returns how it ends: the future
   * completes on the client's I/O thread with the answer, on a timer thread at the timeout, or
   * here when refused.
   */
  CompletableFuture<Result> callNonBlocking(AsyncBody body) {
    Attempt a = send(body);
    if (!a.result.isDone()) {
      checkAt(a, a.redisAt + timeoutNanos);
    }
    return a.result;
  }

  /**
   * Sends {@code body} from this thread and waits for how it ends, at most the timeout (the
   * waiting thread itself ends the call at its deadline, so no timer is involved).
   */
  Result awaitNonBlocking(AsyncBody body) {
    Attempt a = send(body);
    long deadline = a.redisAt + timeoutNanos;
    while (true) {
      long wait = deadline - clock.read();
      if (wait > 0) {
        try {
          return a.result.get(wait, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
          // the deadline passed: see below
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          // the call is out; its answer, if any, still reaches the breaker, and is dropped
          return new Overloaded("interrupted while waiting for the store");
        } catch (ExecutionException e) {
          throw new IllegalStateException(e); // never: results complete normally
        }
      }
      deadline = check(a);
      if (deadline == FINISHED) {
        return a.result.join();
      }
    }
  }

  /** Starts a non-blocking call: an attempt in Redis from now, or already ended (refused). */
  @SuppressWarnings("FutureReturnValueIgnored") // the callback carries the outcome into a.result
  private Attempt send(AsyncBody body) {
    Attempt a = new Attempt(null, clock.read());
    if (!breaker.tryAcquirePermission()) {
      a.state.set(Attempt.DONE);
      a.result.complete(new Failed("circuit breaker open", true));
      return a;
    }
    if (inFlight.incrementAndGet() > maxInFlight) {
      inFlight.decrementAndGet();
      a.state.set(Attempt.DONE);
      a.result.complete(busy("more than " + maxInFlight + " store calls in flight"));
      return a;
    }
    a.enterRedis();
    CompletableFuture<Outcome> sent;
    try {
      sent = body.send();
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    sent.whenComplete((outcome, error) -> {
      inFlight.decrementAndGet();
      a.redisAnswered(outcome, error);
    });
    return a;
  }

  private void checkAt(Attempt a, long deadline) {
    long delay = Math.max(0, deadline - clock.read());
    CompletableFuture.delayedExecutor(delay, TimeUnit.NANOSECONDS).execute(() -> {
      if (!a.result.isDone()) {
        long next = check(a);
        if (next != FINISHED) {
          checkAt(a, next);
        }
      }
    });
  }

  /**
   * At a deadline: ends the attempt if its time is up, and returns {@link #FINISHED}; otherwise
   * returns the next deadline.
   */
  private long check(Attempt a) {
    while (true) {
      if (a.result.isDone()) {
        return FINISHED;
      }
      long now = clock.read();
      switch (a.state.get()) {
        case Attempt.NEW -> {
          long deadline = a.submittedAt + timeoutNanos;
          if (now - deadline < 0) {
            return deadline;
          }
          if (a.state.compareAndSet(Attempt.NEW, Attempt.ABANDONED)) {
            executor.remove(a); // frees its place in the queue now rather than when a thread skips it
            a.result.complete(busy("no store thread free within " + timeoutText));
            return FINISHED;
          }
        }
        case Attempt.STARTED -> {
          // waiting for a local slot inside the body, which bounds that wait itself
          return Math.max(now + POLL_NANOS, a.startedAt + timeoutNanos);
        }
        case Attempt.IN_REDIS -> {
          long deadline = a.redisAt + timeoutNanos;
          if (now - deadline < 0) {
            return deadline;
          }
          if (a.state.compareAndSet(Attempt.IN_REDIS, Attempt.TIMED_OUT)) {
            breaker.onError(now - a.redisAt,
                new TimeoutException("no answer from Redis within " + timeoutText));
            a.result.complete(new Failed("no answer from Redis within " + timeoutText, false));
            return FINISHED;
          }
        }
        default -> {
          // DONE: the store thread completes the result right after setting the state
          return now + POLL_NANOS / 10;
        }
      }
    }
  }

  /** A call that could not get a store thread: overload, unless Redis calls are stuck. */
  private Result busy(String reason) {
    long now = clock.read();
    for (Attempt a : inRedis) {
      if (now - a.redisAt >= timeoutNanos) {
        return new Failed(
            reason + " while a Redis call has been waiting longer than " + timeoutText, false);
      }
    }
    return new Overloaded(reason);
  }

  @Override
  public void close() {
    executor.shutdown();
  }

  /** One guarded call; runs on a store thread. */
  final class Attempt implements Runnable {
    static final int NEW = 0;
    static final int STARTED = 1;
    static final int IN_REDIS = 2;
    static final int DONE = 3;
    static final int ABANDONED = 4;
    static final int TIMED_OUT = 5;

    final AtomicInteger state = new AtomicInteger(NEW);
    final CompletableFuture<Result> result = new CompletableFuture<>();
    /** The work, for the executor path; null for a non-blocking call (never run). */
    final @Nullable Body body;
    final long submittedAt;
    volatile long startedAt;
    volatile long redisAt;

    Attempt(@Nullable Body body, long submittedAt) {
      this.body = body;
      this.submittedAt = submittedAt;
    }

    @Override
    public void run() {
      if (!state.compareAndSet(NEW, STARTED)) {
        return; // abandoned while queued: its caller has decided without it
      }
      startedAt = clock.read();
      Outcome outcome = null;
      Exception error = null;
      try {
        outcome = Checks.requireNonNull(body, "body").run(this);
      } catch (LocalWaitTimeout e) {
        if (state.compareAndSet(STARTED, DONE)) {
          result.complete(new Overloaded(e.reason));
        }
        return;
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        error = e;
      } finally {
        inRedis.remove(this);
      }
      if (state.compareAndSet(STARTED, DONE)) {
        // answered from memory, or failed before reaching Redis: nothing for the breaker
        result.complete(error == null
            ? new Answered(Checks.requireNonNull(outcome, "outcome"))
            : new Failed(error.toString(), false));
        return;
      }
      long took = clock.read() - redisAt;
      if (!state.compareAndSet(IN_REDIS, DONE)) {
        return; // timed out: the caller reported it and decided without it
      }
      if (error == null) {
        breaker.onSuccess(took);
        result.complete(new Answered(Checks.requireNonNull(outcome, "outcome")));
      } else {
        breaker.onError(took, error);
        result.complete(new Failed(error.toString(), false));
      }
    }

    /**
     * A non-blocking call's answer (or error) arrived: reported and decided, unless the timeout
     * ended the call first (then dropped: the caller has decided without it).
     */
    void redisAnswered(@Nullable Outcome outcome, @Nullable Throwable error) {
      inRedis.remove(this);
      long took = clock.read() - redisAt;
      if (!state.compareAndSet(IN_REDIS, DONE)) {
        return;
      }
      Throwable cause = error instanceof CompletionException && error.getCause() != null
          ? error.getCause() : error;
      if (cause == null) {
        breaker.onSuccess(took);
        result.complete(new Answered(Checks.requireNonNull(outcome, "outcome")));
      } else {
        breaker.onError(took, cause);
        result.complete(new Failed(cause.toString(), false));
      }
    }

    /** Marks the moment the call leaves for Redis; from here on, time counts against Redis. */
    void enterRedis() {
      redisAt = clock.read();
      inRedis.add(this);
      state.set(IN_REDIS);
    }
  }
}
