package dev.scaleblocks.cache;

import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The loads of one cache that no thread waits for: the {@code getAsyncLoading} read path (a loader
 * returning a stage) and the {@link LoadTimeouts} deadlines of every asynchronous call.
 *
 * <p><b>Async loader.</b> A miss registers its {@link Flight} on the caller's thread, so callers
 * missing the same key together join one load (sync {@code get}s too) without a thread each. The
 * leader reads L2 where it does not block (the caller's thread without L2, Lettuce's I/O thread,
 * or the executor over Jedis), calls the loader there and returns; the stage's completion installs
 * the value in L1 and completes the flight on whatever thread completes the stage, and hands the
 * L2 write (a blocking call on either client) to the executor. With the cluster lease, whose wait
 * polls Redis, the whole load runs on the executor and waits for the stage there.
 *
 * <p><b>Deadlines.</b> {@link #timed} completes a call's future at its soft timeout with the stale
 * value, or at its hard timeout with the stale value or a {@link CacheLoadTimeoutException},
 * whichever comes before the load; the timer is {@link CompletableFuture#orTimeout}'s (the JDK's
 * one delay thread), cancelled when the load wins. The load is never cancelled.
 *
 * <p>Thread-safe (no state of its own). Cost: a miss allocates a flight, a few futures and
 * lambdas, and with a deadline one timer task.
 */
final class AsyncLoads<K, V> {

  private final DefaultTieredCache<K, V> cache;
  private final L1Tier<K, V> l1;
  private final Encoding<K, V> encoding;
  private final CacheMetrics metrics;
  private final @Nullable L2Writer writer;
  private final Executor executor;

  AsyncLoads(DefaultTieredCache<K, V> cache, Executor executor) {
    this.cache = cache;
    this.l1 = cache.l1;
    this.encoding = cache.encoding;
    this.metrics = cache.metrics;
    this.writer = cache.writer;
    this.executor = executor;
  }

  CompletableFuture<@Nullable V> get(K key,
      Function<? super K, ? extends CompletionStage<? extends @Nullable V>> loader, LoadTimeouts timeouts) {
    encoding.checkKey(key);
    requireNonNull(loader, "loader");
    L1Entry<V> e = l1.getIfPresent(key);
    if (e != null) {
      long now = !cache.timeChecks ? Long.MIN_VALUE : cache.ticker.read();
      if (now < e.refreshAt) {
        metrics.l1Hits.increment();
        return CompletableFuture.completedFuture(e.value);
      }
      if (now < e.freshUntil) {
        metrics.l1Hits.increment();
        cache.refreshAhead(key, waitingFor(loader), e);
        return CompletableFuture.completedFuture(e.value);
      }
    }
    metrics.l1Misses.increment();
    long start = System.nanoTime();
    Flight<V> mine = new Flight<>();
    Flight<V> running = cache.joinOrLead(key, mine);
    CompletableFuture<L1Entry<V>> load = running != null ? running : lead(key, loader, e, mine);
    L1Entry<V> stale = e == null ? null : cache.staleFallback(e, null);
    return timed(key, load, stale, timeouts, start).thenApply(x -> x.value);
  }

  /** Starts the load of {@code key} as the leader of {@code mine}; returns {@code mine}. */
  @SuppressWarnings("FutureReturnValueIgnored") // afterRead completes the flight whatever happens; it carries the outcome
  private Flight<V> lead(K key, Function<? super K, ? extends CompletionStage<? extends @Nullable V>> loader,
      @Nullable L1Entry<V> stale, Flight<V> mine) {
    try {
      long stamp = l1.stamp(key);
      L2Writer w = writer;
      if (w == null || w.tier().refusing()) {
        // no L2, or the breaker refuses it: the loader now, L1 only
        callLoader(key, loader, stale, null, stamp, L2Write.SKIP, mine);
        return mine;
      }
      RedisTier t = w.tier();
      if (cache.config.leaseMillis > 0) {
        // the lease's wait polls Redis and sleeps: on the executor, waiting for the stage there
        executor.execute(() -> {
          try {
            mine.complete(cache.loadThroughTiers(key, waitingFor(loader), stale, false, mine));
          } catch (RuntimeException | Error ex) {
            mine.completeExceptionally(ex);
          } finally {
            cache.landed(key, mine);
          }
        });
        return mine;
      }
      byte[] rkey = encoding.redisKey(encoding.encodeKey(key));
      if (t.nonBlocking()) {
        t.getAsync(rkey).thenAccept(read -> afterRead(key, loader, stale, stamp, rkey, read, mine));
      } else {
        executor.execute(() -> {
          RedisTier.Read read;
          try {
            read = t.get(rkey);
          } catch (RuntimeException | Error ex) {
            fail(key, mine, ex);
            return;
          }
          afterRead(key, loader, stale, stamp, rkey, read, mine);
        });
      }
    } catch (RejectedExecutionException ex) {
      // saturated: no Redis, the loader from here
      callLoader(key, loader, stale, null, l1.stamp(key), L2Write.SKIP, mine);
    } catch (RuntimeException | Error ex) {
      fail(key, mine, ex);
    }
    return mine;
  }

  /** What follows the leader's L2 read: an L2 hit into L1, else the loader. */
  private void afterRead(K key, Function<? super K, ? extends CompletionStage<? extends @Nullable V>> loader,
      @Nullable L1Entry<V> stale, long stamp, byte[] rkey, RedisTier.Read read, Flight<V> mine) {
    try {
      mine.leaveLoader();
      if (DefaultTieredCache.unavailable(read)) {
        metrics.l2GetErrors.increment();
        callLoader(key, loader, stale, null, stamp, L2Write.SKIP, mine);
        return;
      }
      byte[] raw = read.value();
      L1Entry<V> staleL2 = null;
      if (raw != null) {
        long now = cache.ticker.read();
        L1Entry<V> fromL2 = cache.fromEnvelope(read, now);
        if (fromL2 != null && now < fromL2.freshUntil) {
          metrics.l2Hits.increment();
          l1.install(key, fromL2, stamp, false);
          mine.complete(fromL2);
          cache.landed(key, mine);
          return;
        }
        staleL2 = fromL2;
      }
      metrics.l2Misses.increment();
      callLoader(key, loader, stale, staleL2, stamp, L2Write.ifUnchanged(rkey, Envelope.versionBytes(raw)), mine);
    } catch (RuntimeException | Error ex) {
      fail(key, mine, ex);
    }
  }

  /** Calls the loader here and stores what its stage completes with, where it completes. */
  private void callLoader(K key, Function<? super K, ? extends CompletionStage<? extends @Nullable V>> loader,
      @Nullable L1Entry<V> stale, @Nullable L1Entry<V> staleL2, long stamp, L2Write intent, Flight<V> mine) {
    Span span = cache.tracer.spanBuilder("cache.load").setAttribute("scaleblocks.cache", cache.name()).startSpan();
    long start = cache.ticker.read();
    mine.enterLoader();
    CompletionStage<? extends @Nullable V> stage;
    try {
      stage = loader.apply(key);
      if (stage == null) {
        throw new NullPointerException("loader must return a CompletionStage but returned null");
      }
    } catch (RuntimeException | Error ex) {
      stage = CompletableFuture.failedFuture(ex);
    }
    stage.whenComplete((value, ex) -> {
      mine.leaveLoader();
      metrics.recordLoad(cache.ticker.read() - start);
      if (ex != null) {
        Throwable cause = unwrap(ex);
        metrics.loadFailure.increment();
        span.recordException(cause);
        span.setStatus(StatusCode.ERROR);
        span.end();
        L1Entry<V> fallback = cache.staleFallback(stale, staleL2);
        if (fallback != null) {
          metrics.staleServed.increment();
          mine.complete(fallback);
          cache.landed(key, mine);
        } else {
          fail(key, mine, cause);
        }
        return;
      }
      metrics.loadSuccess.increment();
      span.end();
      store(key, value, stamp, intent, mine);
    });
  }

  /** {@code DefaultTieredCache.store} for an async load: L1 and the flight here, L2 on the executor. */
  private void store(K key, @Nullable V value, long stamp, L2Write intent, Flight<V> mine) {
    try {
      DefaultTieredCache.Prepared<V> p = cache.prepare(key, value, L2Write.sendsValue(intent));
      if (!p.cacheable()) {
        mine.complete(p.entry());
        cache.landed(key, mine);
        return;
      }
      boolean current = l1.install(key, p.entry(), stamp, false);
      mine.complete(p.entry());
      L2Writer w = writer;
      if (w == null || !L2Write.sendsValue(intent)) {
        cache.landed(key, mine);
        return;
      }
      try {
        executor.execute(() -> {
          try {
            w.write(intent, p.envelope(), p.px(), current);
            if (current && mine.released()) {
              w.publishKeys(List.of(encoding.encodeKey(key)));
            }
          } finally {
            cache.landed(key, mine);
          }
        });
      } catch (RejectedExecutionException ex) {
        // saturated: L1 has the value; the L2 keeps what it had (a load's write is never repaired)
        metrics.l2WriteFailures.increment();
        cache.landed(key, mine);
      }
    } catch (RuntimeException | Error ex) {
      fail(key, mine, ex);
    }
  }

  private void fail(K key, Flight<V> mine, Throwable ex) {
    mine.completeExceptionally(ex);
    cache.landed(key, mine);
  }

  /**
   * {@code load} under the deadlines of {@code timeouts} counted from {@code start} ({@link
   * System#nanoTime()}): at the soft timeout with {@code stale} (when there is one), at the hard
   * timeout with {@code stale} or a {@link CacheLoadTimeoutException}; the load of {@code key} is
   * then {@linkplain Flight#release released} (its result published). {@code load} itself when no
   * deadline applies.
   */
  @SuppressWarnings("FutureReturnValueIgnored") // both stages only complete {@code result}, which carries the outcome
  CompletableFuture<L1Entry<V>> timed(K key, CompletableFuture<L1Entry<V>> load, @Nullable L1Entry<V> stale,
      LoadTimeouts timeouts, long start) {
    long deadline = DefaultTieredCache.deadline(timeouts, stale != null, start);
    if (deadline == Long.MAX_VALUE || load.isDone()) {
      return load;
    }
    CompletableFuture<L1Entry<V>> result = new CompletableFuture<>();
    // whoever claims it completes result: the timer (then counted before the caller can see it)
    // or the load
    AtomicBoolean claimed = new AtomicBoolean();
    CompletableFuture<@Nullable Void> timer = new CompletableFuture<>();
    timer.orTimeout(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    timer.whenComplete((v, ex) -> {
      if (ex == null || !claimed.compareAndSet(false, true)) {
        return;
      }
      cache.release(key);
      if (stale != null) {
        (timeouts.softNanos > 0 ? metrics.softTimeoutStale : metrics.hardTimeoutStale).increment();
        result.complete(stale);
      } else {
        metrics.hardTimeoutFailures.increment();
        result.completeExceptionally(
            new CacheLoadTimeoutException(cache.name(), Duration.ofNanos(timeouts.hardNanos)));
      }
    });
    load.whenComplete((r, ex) -> {
      timer.complete(null); // cancels the timer task
      if (!claimed.compareAndSet(false, true)) {
        return;
      }
      if (ex != null) {
        result.completeExceptionally(unwrap(ex));
      } else {
        result.complete(r);
      }
    });
    return result;
  }

  /** The async loader as a blocking one, for the paths that wait on an executor thread anyway. */
  private Function<K, @Nullable V> waitingFor(
      Function<? super K, ? extends CompletionStage<? extends @Nullable V>> loader) {
    return k -> {
      CompletionStage<? extends @Nullable V> stage = loader.apply(k);
      if (stage == null) {
        throw new NullPointerException("loader must return a CompletionStage but returned null");
      }
      try {
        return stage.toCompletableFuture().join();
      } catch (CompletionException ex) {
        throw Flight.rethrow(unwrap(ex));
      }
    };
  }

  private static Throwable unwrap(Throwable ex) {
    Throwable cause = ex.getCause();
    return ex instanceof CompletionException && cause != null ? cause : ex;
  }
}
