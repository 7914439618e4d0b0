package dev.scaleblocks.ratelimit.throttle;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.Ticker;
import dev.scaleblocks.core.internal.Checks;
import dev.scaleblocks.core.internal.OwnedMeters;
import dev.scaleblocks.ratelimit.Decision;
import dev.scaleblocks.ratelimit.RateLimiter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * Throttling with delay: a request over its limiter's rate waits its turn in a bounded queue per
 * key instead of being refused, as nginx's {@code limit_req ... burst=N}. Built on any {@link
 * RateLimiter} (local or Redis, either client), through its non-blocking {@link
 * RateLimiter#tryAcquireAsync}: no thread waits, so it is safe on an event loop.
 *
 * <pre>{@code
 * Throttle throttle = Throttle.builder("search", limiter)
 *     .queueCapacity(50)                   // nginx burst=50: up to 50 requests wait per key
 *     .maxDelay(Duration.ofSeconds(2))     // none waits longer; refused after that
 *     .build();
 * throttle.acquire(clientIp).thenAccept(decision -> {
 *   if (decision.allowed()) { serve(); } else { refuse429(decision.retryAfter()); }
 * });
 * }</pre>
 *
 * <h2>What it does</h2>
 *
 * <ul>
 *   <li>A key with nobody waiting asks the limiter at once; admitted, the future completes with
 *       that decision (the fast path costs one {@code tryAcquireAsync}).
 *   <li>Refused, or a key with requests already waiting: the request joins the key's queue, first
 *       in, first out. One drain per key at a time asks the limiter for the head's permits when the
 *       last refusal said they would be there ({@link Decision#retryAfter()}), completes it when
 *       admitted and goes on with the next.
 *   <li>A full queue ({@link Builder#queueCapacity}), too many keys with waiters ({@link
 *       Builder#maxKeys}), a wait beyond {@link Builder#maxDelay} or a closed throttle: the future
 *       completes with a refusing decision (the limiter's last refusal for that key), never
 *       exceptionally, so the caller answers 429 with the usual headers.
 *   <li>{@link Builder#nodelay()}: as nginx's {@code nodelay}, a request that finds room in the
 *       queue is admitted at once, and its place stays in the queue until the limiter has taken
 *       its permits: a burst of up to {@code queueCapacity} requests passes without delay, and
 *       then requests pass at the limiter's rate.
 * </ul>
 *
 * <p>Accounting stays the limiter's: every admitted request's permits are taken by the limiter,
 * once (in {@code nodelay} mode, later rather than before), so a strict limiter is never
 * exceeded over time. A caller that cancels its future leaves the queue without taking permits,
 * unless the limiter had already admitted it (then the permits count, as for any admitted
 * request). Queues are per instance: across instances each queue waits for the shared limit, so
 * order is first-come-first-served within an instance, not across them.
 *
 * <p>Thread-safe. Futures complete on the throttle's scheduler thread or on the thread that
 * completes the limiter's decision (a Lettuce I/O thread, a store thread): dependent stages must
 * not block. Cost: the fast path is the limiter's; a queued request costs one queue slot and one
 * scheduled timeout, and each drain step one {@code tryAcquireAsync}.
 */
public final class Throttle implements AutoCloseable {

  private final String name;
  private final RateLimiter limiter;
  private final int queueCapacity;
  private final long maxDelayNanos;
  private final int maxKeys;
  private final boolean nodelay;
  private final Ticker ticker;
  private final ScheduledExecutorService scheduler;
  private final boolean ownsScheduler;
  private final ConcurrentHashMap<String, KeyQueue> queues = new ConcurrentHashMap<>();
  private final AtomicInteger waiting = new AtomicInteger();
  private volatile boolean closed;

  private final OwnedMeters meters;
  private final Timer delayed;
  private final Counter refusedQueueFull;
  private final Counter refusedTimeout;
  private final Counter refusedKeys;
  private final Counter refusedClosed;

  private Throttle(Builder b) {
    this.name = b.name;
    this.limiter = b.limiter;
    this.queueCapacity = b.queueCapacity > 0 ? b.queueCapacity : 10;
    this.maxDelayNanos = (b.maxDelay != null ? b.maxDelay : Duration.ofSeconds(5)).toNanos();
    this.maxKeys = b.maxKeys > 0 ? b.maxKeys : 10_000;
    this.nodelay = b.nodelay;
    this.ticker = b.ticker != null ? b.ticker : Ticker.system();
    ScheduledExecutorService s = b.scheduler;
    if (s == null) {
      ScheduledThreadPoolExecutor own = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "scaleblocks-throttle-" + b.name);
        t.setDaemon(true);
        return t;
      });
      own.setRemoveOnCancelPolicy(true);
      s = own;
      this.ownsScheduler = true;
    } else {
      this.ownsScheduler = false;
    }
    this.scheduler = s;
    this.meters = OwnedMeters.claim((b.telemetry != null ? b.telemetry : Telemetry.none()).meterRegistry(), "throttle", name);
    meters.add(Gauge.builder("scaleblocks.ratelimit.throttle.waiting", waiting, AtomicInteger::get)
        .tag("name", name).description("requests waiting in the throttle's queues (nodelay: places not yet paid)")
        .register(meters.registry()));
    this.delayed = meters.add(Timer.builder("scaleblocks.ratelimit.throttle.delay")
        .tag("name", name).description("how long admitted requests waited in the queue")
        .register(meters.registry()));
    this.refusedQueueFull = refusedCounter("queue_full");
    this.refusedTimeout = refusedCounter("max_delay");
    this.refusedKeys = refusedCounter("max_keys");
    this.refusedClosed = refusedCounter("closed");
  }

  private Counter refusedCounter(String reason) {
    return meters.add(Counter.builder("scaleblocks.ratelimit.throttle.refused")
        .tag("name", name).tag("reason", reason)
        .description("requests the throttle refused instead of queueing them")
        .register(meters.registry()));
  }

  /** A builder of a throttle named {@code name} (the meters' tag) in front of {@code limiter}. */
  public static Builder builder(String name, RateLimiter limiter) {
    return new Builder(name, limiter);
  }

  /** {@link #acquire(String, long)} of one permit. */
  public CompletableFuture<Decision> acquire(String key) {
    return acquire(key, 1);
  }

  /**
   * Takes {@code permits} for {@code key} now, or after waiting in the key's queue; completes with
   * the admitting decision, or with a refusing one (queue full, too many keys, waited {@code
   * maxDelay}, closed). Never completes exceptionally but for an exception of the limiter itself.
   */
  public CompletableFuture<Decision> acquire(String key, long permits) {
    Checks.requireNonNull(key, "key");
    Checks.requirePositive(permits, "permits");
    if (closed) {
      return CompletableFuture.failedFuture(new IllegalStateException("throttle " + name + " is closed"));
    }
    long arrived = ticker.read();
    if (queues.get(key) != null) {
      return enqueue(key, permits, arrived, null); // behind those already waiting
    }
    // nobody waits for this key: ask at once, queue only when refused
    CompletableFuture<Decision> first = limiter.tryAcquireAsync(key, permits);
    if (first.isDone() && !first.isCompletedExceptionally()) {
      Decision d = first.join(); // a local store answers at once
      return d.allowed() ? first : enqueue(key, permits, arrived, d);
    }
    CompletableFuture<Decision> out = new CompletableFuture<>();
    var unused = first.whenComplete((d, e) -> {
      if (e != null) {
        out.completeExceptionally(e);
      } else if (d.allowed()) {
        out.complete(d);
      } else {
        CompletableFuture<Decision> queued = enqueue(key, permits, arrived, d);
        var unused1 = queued.whenComplete((q, qe) -> {
          if (qe != null) {
            out.completeExceptionally(qe);
          } else {
            out.complete(q);
          }
        });
        var unused2 = out.whenComplete((o, oe) -> {
          if (out.isCancelled()) {
            queued.cancel(false); // the caller gave up: leave the queue
          }
        });
      }
    });
    return out;
  }

  /** Requests waiting now, over every key (in {@code nodelay} mode: places not yet paid). */
  public int waiting() {
    return waiting.get();
  }

  public String name() {
    return name;
  }

  /** The limiter whose permits the throttle takes. */
  public RateLimiter limiter() {
    return limiter;
  }

  /**
   * Refuses every waiting request (each future completes with the key's last refusal), removes the
   * meters and stops the scheduler it made. Places not yet paid in {@code nodelay} mode are
   * dropped. Later {@link #acquire} calls fail with {@link IllegalStateException}.
   */
  @Override
  public void close() {
    closed = true;
    for (KeyQueue q : queues.values()) {
      java.util.List<Waiter> left;
      q.lock.lock();
      try {
        q.dead = true;
        left = new java.util.ArrayList<>(q.waiters);
        q.waiters.clear();
        waiting.addAndGet(-left.size());
      } finally {
        q.lock.unlock();
      }
      for (Waiter w : left) { // completed outside the lock: callers' stages run here
        if (!w.early && w.future.complete(q.lastRefusal)) {
          refusedClosed.increment();
        }
        w.cancelTimeout();
      }
    }
    queues.clear();
    if (ownsScheduler) {
      scheduler.shutdownNow();
    }
    meters.close();
  }

  // ---------------------------------------------------------------- queue

  private CompletableFuture<Decision> enqueue(String key, long permits, long arrived, @Nullable Decision refusal) {
    while (true) {
      KeyQueue q = queues.get(key);
      if (q == null) {
        if (queues.size() >= maxKeys) {
          refusedKeys.increment();
          return CompletableFuture.completedFuture(refusal != null ? refusal : unknownRefusal());
        }
        KeyQueue made = new KeyQueue(key, refusal != null ? refusal : unknownRefusal());
        q = queues.putIfAbsent(key, made);
        if (q == null) {
          q = made;
        }
      }
      Waiter w;
      boolean startDrain;
      q.lock.lock();
      try {
        if (q.dead) {
          continue; // emptied and removed meanwhile: make or find the key's next queue
        }
        if (refusal != null) {
          q.lastRefusal = refusal;
        }
        if (closed) {
          refusedClosed.increment();
          return CompletableFuture.completedFuture(q.lastRefusal);
        }
        if (q.waiters.size() >= queueCapacity) {
          refusedQueueFull.increment();
          return CompletableFuture.completedFuture(q.lastRefusal);
        }
        w = new Waiter(permits, arrived);
        if (nodelay) {
          w.early = true;
          Decision r = q.lastRefusal;
          w.future.complete(Decision.allowed(r.policyName(), r.limit(), 0, r.window(), r.resetAfter()));
        }
        q.waiters.addLast(w);
        waiting.incrementAndGet();
        startDrain = !q.draining;
        q.draining = true;
      } finally {
        q.lock.unlock();
      }
      if (!w.early) {
        long left = maxDelayNanos - (ticker.read() - arrived);
        KeyQueue queue = q;
        w.timeout = schedule(() -> expire(queue, w), Math.max(0, left));
        // timed out or cancelled by the caller: leave the queue at once
        var unused = w.future.whenComplete((d, e) -> leave(queue, w));
      }
      if (startDrain) {
        Decision r = refusal != null ? refusal : q.lastRefusal;
        KeyQueue queue = q;
        drainLater(queue, r.retryAfter().toNanos());
      }
      return w.future;
    }
  }

  /** One step: drop the heads that left, ask the limiter for the head's permits. */
  private void drain(KeyQueue q) {
    Waiter head;
    q.lock.lock();
    try {
      if (q.dead) {
        return; // emptied by the waiters leaving
      }
      while ((head = q.waiters.peekFirst()) != null && !head.early && head.future.isDone()) {
        q.waiters.pollFirst(); // cancelled or timed out: it takes nothing
        waiting.decrementAndGet();
      }
      if (head == null) {
        q.draining = false;
        q.dead = true;
        queues.remove(q.key, q);
        return;
      }
    } finally {
      q.lock.unlock();
    }
    Waiter asked = head;
    CompletableFuture<Decision> answer;
    try {
      answer = limiter.tryAcquireAsync(q.key, asked.permits);
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    var unused = answer.whenComplete((d, e) -> {
      if (e != null) {
        // the limiter itself failed (not a refusal: its failure policy answers those): this
        // request gets the exception, the next ones another try
        settle(q, asked);
        asked.future.completeExceptionally(e);
        drainLater(q, 0);
      } else if (d.allowed()) {
        settle(q, asked);
        if (asked.future.complete(d)) {
          delayed.record(ticker.read() - asked.arrived, TimeUnit.NANOSECONDS);
        }
        drainLater(q, 0);
      } else {
        q.lastRefusal = d;
        drainLater(q, d.retryAfter().toNanos());
      }
    });
  }

  /** Takes {@code w} off the head of its queue once the limiter has answered for it. */
  private void settle(KeyQueue q, Waiter w) {
    q.lock.lock();
    try {
      if (q.waiters.peekFirst() == w) {
        q.waiters.pollFirst();
        waiting.decrementAndGet();
      }
    } finally {
      q.lock.unlock();
    }
    w.cancelTimeout();
  }

  /** A waiter whose future completed (admitted, timed out, cancelled) leaves its queue if still in it. */
  private void leave(KeyQueue q, Waiter w) {
    q.lock.lock();
    try {
      if (q.waiters.remove(w)) {
        waiting.decrementAndGet();
        if (q.waiters.isEmpty()) {
          q.dead = true;
          q.draining = false;
          queues.remove(q.key, q);
        }
      }
    } finally {
      q.lock.unlock();
    }
    w.cancelTimeout();
  }

  private void expire(KeyQueue q, Waiter w) {
    if (w.future.complete(q.lastRefusal)) {
      refusedTimeout.increment();
    }
  }

  private void drainLater(KeyQueue q, long delayNanos) {
    var unused = schedule(() -> drain(q), delayNanos);
  }

  private @Nullable ScheduledFuture<?> schedule(Runnable task, long delayNanos) {
    if (closed) {
      return null;
    }
    try {
      return scheduler.schedule(task, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      return null; // closing
    }
  }

  /** A refusal for a key whose limiter answer is not at hand (only before any refusal for it). */
  private Decision unknownRefusal() {
    return Decision.rejected(limiter.policy().name(), 0, 0, Duration.ZERO, Duration.ZERO, Duration.ofSeconds(1));
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "Throttle[%s, queue %d per key, max delay %d ms%s]", name,
        queueCapacity, TimeUnit.NANOSECONDS.toMillis(maxDelayNanos), nodelay ? ", nodelay" : "");
  }

  private static final class KeyQueue {
    final String key;
    final ReentrantLock lock = new ReentrantLock();
    final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    /** A drain is scheduled or running; guarded by lock. */
    boolean draining;
    /** Emptied and removed from the map: enqueue finds or makes the next one. Guarded by lock. */
    boolean dead;
    volatile Decision lastRefusal;

    KeyQueue(String key, Decision lastRefusal) {
      this.key = key;
      this.lastRefusal = lastRefusal;
    }
  }

  private static final class Waiter {
    final long permits;
    final long arrived;
    final CompletableFuture<Decision> future = new CompletableFuture<>();
    /** nodelay: already admitted; stays queued until the limiter has taken its permits. */
    boolean early;
    volatile @Nullable ScheduledFuture<?> timeout;

    Waiter(long permits, long arrived) {
      this.permits = permits;
      this.arrived = arrived;
    }

    void cancelTimeout() {
      ScheduledFuture<?> t = timeout;
      if (t != null) {
        t.cancel(false);
      }
    }
  }

  /**
   * Builds a {@link Throttle}. Not thread-safe; each option may be set once (a second call throws
   * {@link IllegalStateException} "maxDelay was already set to PT5S") and is validated at once.
   */
  public static final class Builder {
    private static final Duration MAX_DELAY_CAP = Duration.ofDays(1);

    private final String name;
    private final RateLimiter limiter;
    private int queueCapacity; // 0: not set
    private @Nullable Duration maxDelay;
    private int maxKeys; // 0: not set
    private boolean nodelay;
    private @Nullable Ticker ticker;
    private @Nullable ScheduledExecutorService scheduler;
    private @Nullable Telemetry telemetry;

    private Builder(String name, RateLimiter limiter) {
      this.name = Checks.requireNonNull(name, "name");
      Checks.requireArgument(!name.isBlank(), "name must not be blank but was '%s'", name);
      this.limiter = Checks.requireNonNull(limiter, "limiter");
    }

    /** Requests that may wait per key (nginx's {@code burst}); default 10, 1 to 1 000 000. */
    public Builder queueCapacity(int queueCapacity) {
      Checks.requireUnset(this.queueCapacity > 0, "queueCapacity", this.queueCapacity);
      this.queueCapacity = (int) Checks.requireInRange(queueCapacity, 1, 1_000_000, "queueCapacity");
      return this;
    }

    /** The longest a request waits before it is refused; default 5 s, at most 1 day. */
    public Builder maxDelay(Duration maxDelay) {
      Checks.requireUnset(this.maxDelay != null, "maxDelay", this.maxDelay);
      Checks.requireNonNull(maxDelay, "maxDelay");
      Checks.requireArgument(maxDelay.compareTo(Duration.ZERO) > 0 && maxDelay.compareTo(MAX_DELAY_CAP) <= 0,
          "maxDelay must be in (0, 1 day] but was %s", maxDelay);
      this.maxDelay = maxDelay;
      return this;
    }

    /** Keys that may have waiters at once (beyond, a refused request is refused); default 10 000. */
    public Builder maxKeys(int maxKeys) {
      Checks.requireUnset(this.maxKeys > 0, "maxKeys", this.maxKeys);
      this.maxKeys = Checks.requirePositive(maxKeys, "maxKeys");
      return this;
    }

    /** nginx's {@code nodelay}: admit a request that finds room in the queue at once (see the class comment). */
    public Builder nodelay() {
      Checks.requireUnset(nodelay, "nodelay");
      this.nodelay = true;
      return this;
    }

    /** The clock for waiting times (the scheduler still waits in real time); default the system's. */
    public Builder ticker(Ticker ticker) {
      Checks.requireUnset(this.ticker != null, "ticker");
      this.ticker = Checks.requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * Where drains and timeouts run; default one daemon thread of the throttle's own, stopped on
     * close. A scheduler given here is not shut down by the throttle.
     */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      Checks.requireUnset(this.scheduler != null, "scheduler");
      this.scheduler = Checks.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /** Where the meters go ({@code scaleblocks.ratelimit.throttle.*}, tag {@code name}). */
    public Builder telemetry(Telemetry telemetry) {
      Checks.requireUnset(this.telemetry != null, "telemetry");
      this.telemetry = Checks.requireNonNull(telemetry, "telemetry");
      return this;
    }

    public Throttle build() {
      return new Throttle(this);
    }
  }
}
