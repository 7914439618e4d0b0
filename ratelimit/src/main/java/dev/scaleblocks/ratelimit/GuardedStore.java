package dev.scaleblocks.ratelimit;

import dev.scaleblocks.core.Ticker;
import dev.scaleblocks.core.breaker.CircuitBreaker;
import dev.scaleblocks.core.internal.Checks;
import io.micrometer.core.instrument.Counter;
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
 * A {@link CounterStore} behind a guard: runs each call on a bounded executor — or, for a store
 * that does not block (Redis over Lettuce), sends it from the caller's thread with no hand-off —
 * bounds how long the caller waits, and tells the circuit breaker about calls that reached Redis —
 * and only those. Every call ends as one {@link Result}: {@link Answered}, {@link Overloaded} or
 * {@link Failed}; what to decide without an answer is the {@link FallbackDecider}'s business.
 *
 * <h2>Whose fault is a late answer?</h2>
 *
 * <p>A call spends time in two places: waiting for a local slot (a store thread, a lease lock) and
 * in Redis. The timeout applies to each separately, and only the second is Redis' business:
 *
 * <ul>
 *   <li><b>in Redis</b> (from the moment the store calls {@link
 *       CounterStore.Progress#enteringRedis()}): an answer, an error, or no answer within the
 *       timeout is reported to the breaker with the time spent in Redis; the last two end as
 *       {@link Failed}, for the failure policy.
 *   <li><b>waiting locally</b>: a call still queued when the timeout has passed since it was
 *       submitted is abandoned (it will never run), and a full queue refuses it at once; a store
 *       that could not get a local slot of its own throws {@link CounterStore.LocalWaitTimeout}.
 *       None of these is reported to the breaker. They end as {@link Overloaded} — this client is
 *       too busy — unless a call has been waiting on Redis for longer than the timeout right then
 *       (the store threads are stuck on a sick Redis), in which case they end as {@link Failed}.
 * </ul>
 *
 * <p>So a caller waits at most the timeout for a store thread plus the timeout in Redis (plus a
 * lease lock's wait, itself bounded by the timeout); with a free store thread, the timeout.
 * Timeouts run on the system clock, whatever ticker the limiter uses for its state.
 *
 * <h2>A store that does not block</h2>
 *
 * <p>When the store is {@linkplain CounterStore#nonBlocking() non-blocking}, {@link #call} and
 * {@link #callAsync} send from the caller's thread. There is no store thread to wait for: the call
 * is in Redis from the moment it is sent (time it spends in the client's own queue counts against
 * Redis, as a pooled connection's wait does on the executor path), and the same rules apply from
 * there — an answer or an error reaches the breaker with its time, no answer within the timeout is
 * a {@link Failed} reported once, and whichever comes first decides: a late answer is dropped. The
 * local slot is a bound on calls in flight: past it a call is refused at once, as a full queue
 * refuses one ({@link Overloaded}, or {@link Failed} while a call has been in Redis longer than the
 * timeout).
 *
 * <h2>Answers from memory</h2>
 *
 * <p>{@link #answerFromMemory} hands out what the store can answer at once (a lease's permits), on
 * the caller's thread, past the breaker, the executor and the deadline. A call the breaker
 * permitted but that never reached Redis (abandoned in the queue, answered from a lease another
 * thread just took) reports nothing; while half-open, such a trial permit comes back only after
 * the breaker's wait, as for any trial call that never reports.
 *
 * <p>A non-blocking store whose client refuses a call with a {@link RejectedExecutionException}
 * (the coalescing Jedis backend's full queue) never sent it: that ends as a full store queue does
 * ({@link Overloaded}, or {@link Failed} while a call has been in Redis longer than the timeout),
 * and the breaker hears nothing of it.
 *
 * <p>Thread-safe. Costs per call: one executor hand-off (none for a non-blocking store), a set
 * insert and removal, and for {@link #callAsync} one scheduled check per timeout; {@link #call}
 * waits on the caller's thread, which itself ends the call at its deadline (no timer).
 */
final class GuardedStore implements AutoCloseable {

  /** How a guarded call ended. */
  sealed interface Result permits Answered, Overloaded, Failed {}

  /** The store answered in time. */
  record Answered(StoreAnswer answer) implements Result {}

  /** The call could not get a local slot in time: this client is busy, Redis may well be fine. */
  record Overloaded(String reason) implements Result {}

  /**
   * Redis failed or did not answer in time ({@code breakerOpen} false), or the breaker is open
   * and no call was made ({@code breakerOpen} true).
   */
  record Failed(String reason, boolean breakerOpen) implements Result {}

  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final long FINISHED = Long.MIN_VALUE;

  private final CounterStore store;
  private final boolean nonBlocking;
  private final ThreadPoolExecutor executor;
  private final CircuitBreaker breaker;
  private final long timeoutNanos;
  private final String timeoutText;
  private final Ticker clock = Ticker.system();
  private final Set<Attempt> inRedis = ConcurrentHashMap.newKeySet();
  private final int maxInFlight;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Counter redisCalls;

  /**
   * @param executor the store threads (idle for a non-blocking store); shut down by {@link
   *     #close()}
   * @param maxInFlight most non-blocking calls sent and not yet answered
   * @param redisCalls counts calls that reached Redis
   */
  GuardedStore(CounterStore store, ThreadPoolExecutor executor, CircuitBreaker breaker,
      Duration timeout, int maxInFlight, Counter redisCalls) {
    this.store = store;
    this.nonBlocking = store.nonBlocking();
    this.executor = executor;
    this.breaker = breaker;
    this.timeoutNanos = timeout.toNanos();
    this.timeoutText = timeout.toString();
    this.maxInFlight = maxInFlight;
    this.redisCalls = redisCalls;
  }

  /** What the store answers from memory at once (a lease), past the guard; or null. */
  @Nullable StoreAnswer answerFromMemory(String key, long permits) {
    return store.answerFromMemory(key, permits);
  }

  /** Gives {@code permits} back into {@code lease} in memory, at once, if it still serves. */
  boolean refundToMemory(String key, long permits, LeasingStore.Lease lease) {
    return store.refundToMemory(key, permits, lease);
  }

  /**
   * Decides {@code permits} for {@code key} in the store and waits for how the call ends (see the
   * class comment for how long).
   */
  Result call(String key, long permits) {
    Attempt a;
    long deadline;
    if (nonBlocking) {
      a = send(key, permits);
      deadline = a.redisAt + timeoutNanos;
    } else {
      if (!breaker.tryAcquirePermission()) {
        return new Failed("circuit breaker open", true);
      }
      a = new Attempt(key, permits, clock.read());
      try {
        executor.execute(a);
      } catch (RejectedExecutionException e) {
        return busy("store queue full");
      }
      deadline = a.submittedAt + timeoutNanos;
    }
    return await(a, deadline);
  }

  /**
   * The same without blocking: the future completes on a store thread (on the client's I/O
   * thread for a non-blocking store), on a timer thread at the timeout, or here when refused.
   */
  CompletableFuture<Result> callAsync(String key, long permits) {
    if (nonBlocking) {
      Attempt a = send(key, permits);
      if (!a.result.isDone()) {
        checkAt(a, a.redisAt + timeoutNanos);
      }
      return a.result;
    }
    if (!breaker.tryAcquirePermission()) {
      return CompletableFuture.completedFuture(new Failed("circuit breaker open", true));
    }
    Attempt a = new Attempt(key, permits, clock.read());
    try {
      executor.execute(a);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.completedFuture(busy("store queue full"));
    }
    checkAt(a, a.submittedAt + timeoutNanos);
    return a.result;
  }

  /**
   * Gives back {@code permits} for {@code key}, admitted at {@code atMillis}, in the store, without
   * waiting: sent from the caller's thread to a non-blocking store, else run on a store thread.
   * The future completes with whether anything was given back, and with false — the quota stays
   * spent, never over-admitting — when the breaker is open (no call is made), the store queue is
   * full, the store failed, or no answer came within the timeout. A refund is not a decision: the
   * breaker hears nothing of it, and it is not counted as a Redis call.
   */
  CompletableFuture<Boolean> refundAsync(String key, long permits, long atMillis) {
    if (breaker.state() == CircuitBreaker.State.OPEN) {
      return CompletableFuture.completedFuture(false);
    }
    CompletableFuture<Boolean> refund;
    if (nonBlocking) {
      try {
        refund = store.refundAsync(key, permits, atMillis);
      } catch (RuntimeException e) {
        refund = CompletableFuture.failedFuture(e);
      }
    } else {
      CompletableFuture<Boolean> f = new CompletableFuture<>();
      try {
        executor.execute(() -> {
          try {
            f.complete(store.refund(key, permits, atMillis));
          } catch (RuntimeException e) {
            f.completeExceptionally(e);
          }
        });
      } catch (RejectedExecutionException e) {
        return CompletableFuture.completedFuture(false);
      }
      refund = f;
    }
    return refund
        .exceptionally(e -> false)
        .completeOnTimeout(false, timeoutNanos, TimeUnit.NANOSECONDS);
  }

  /**
   * Waits on this thread until {@code a} ends, checking it at each deadline (the first one
   * given): the one wait loop of both paths.
   */
  private Result await(Attempt a, long firstDeadline) {
    long deadline = firstDeadline;
    while (true) {
      long wait = deadline - clock.read();
      if (wait > 0) {
        try {
          return a.result.get(wait, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
          // a deadline passed: see below
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          // a queued call will never run; one already out still reaches the breaker, and is
          // dropped
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

  /** Starts a non-blocking call: an attempt in Redis from now, or already ended (refused). */
  @SuppressWarnings("FutureReturnValueIgnored") // the callback carries the answer into a.result
  private Attempt send(String key, long permits) {
    Attempt a = new Attempt(key, permits, clock.read());
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
    a.enteringRedis();
    CompletableFuture<StoreAnswer> sent;
    try {
      sent = store.decideAsync(key, permits, permits);
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    sent.whenComplete((answer, error) -> {
      inFlight.decrementAndGet();
      a.redisAnswered(answer, error);
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
          // waiting for a local slot inside the store, which bounds that wait itself
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

  /** Shuts the store threads down. */
  @Override
  public void close() {
    executor.shutdown();
  }

  /** One guarded call; runs on a store thread, unless non-blocking (then never run). */
  private final class Attempt implements Runnable, CounterStore.Progress {
    static final int NEW = 0;
    static final int STARTED = 1;
    static final int IN_REDIS = 2;
    static final int DONE = 3;
    static final int ABANDONED = 4;
    static final int TIMED_OUT = 5;

    final AtomicInteger state = new AtomicInteger(NEW);
    final CompletableFuture<Result> result = new CompletableFuture<>();
    final String key;
    final long permits;
    final long submittedAt;
    volatile long startedAt;
    volatile long redisAt;

    Attempt(String key, long permits, long submittedAt) {
      this.key = key;
      this.permits = permits;
      this.submittedAt = submittedAt;
    }

    @Override
    public void run() {
      if (!state.compareAndSet(NEW, STARTED)) {
        return; // abandoned while queued: its caller has decided without it
      }
      startedAt = clock.read();
      StoreAnswer answer = null;
      Exception error = null;
      try {
        answer = store.decide(key, permits, permits, this);
      } catch (CounterStore.LocalWaitTimeout e) {
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
            ? new Answered(Checks.requireNonNull(answer, "answer"))
            : new Failed(error.toString(), false));
        return;
      }
      long took = clock.read() - redisAt;
      if (!state.compareAndSet(IN_REDIS, DONE)) {
        return; // timed out: the caller reported it and decided without it
      }
      if (error == null) {
        breaker.onSuccess(took);
        result.complete(new Answered(Checks.requireNonNull(answer, "answer")));
      } else {
        breaker.onError(took, error);
        result.complete(new Failed(error.toString(), false));
      }
    }

    /**
     * A non-blocking call's answer (or error) arrived: reported and decided, unless the timeout
     * ended the call first (then dropped: the caller has decided without it).
     */
    void redisAnswered(@Nullable StoreAnswer answer, @Nullable Throwable error) {
      inRedis.remove(this);
      long took = clock.read() - redisAt;
      if (!state.compareAndSet(IN_REDIS, DONE)) {
        return;
      }
      Throwable cause = error instanceof CompletionException && error.getCause() != null
          ? error.getCause() : error;
      if (cause instanceof RejectedExecutionException) {
        // the client's own queue was full (a coalescing backend): never sent, nothing for the
        // breaker; this client is busy, as with a full store queue
        result.complete(busy("redis client queue full"));
        return;
      }
      if (cause == null) {
        breaker.onSuccess(took);
        result.complete(new Answered(Checks.requireNonNull(answer, "answer")));
      } else {
        breaker.onError(took, cause);
        result.complete(new Failed(cause.toString(), false));
      }
    }

    /** Marks the moment the call leaves for Redis; from here on, time counts against Redis. */
    @Override
    public void enteringRedis() {
      redisAt = clock.read();
      inRedis.add(this);
      state.set(IN_REDIS);
      redisCalls.increment();
    }
  }
}
