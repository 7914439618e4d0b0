package dev.scaleblocks.cache;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * One in-flight load of one key (single flight). Other threads missing the same key wait for it
 * while its leader runs the loader, however long the loader takes; but while the leader is talking
 * to Redis they wait at most the L2 timeout, then give up on it (and serve a stale value or load
 * themselves), so a leader stuck on a paused Redis never holds its waiters. The leader completes the
 * flight as soon as the value is in L1, before its L2 write.
 *
 * <p>Thread-safe. Waiting costs one timed park per L2 timeout.
 */
final class Flight<V> extends CompletableFuture<L1Entry<V>> {

  private volatile boolean inLoader;
  private volatile long phaseStart = System.nanoTime();
  /** Some caller stopped waiting for this load ({@link LoadTimeouts}): its result is published. */
  private volatile boolean released;
  /** The leader handed the load to the executor; read and written by the leader's thread only. */
  boolean handedOff;
  /** The leader's call's timeouts ({@code null}: none), set before the load starts. */
  @Nullable LoadTimeouts timeouts;
  /** When the leader's call started ({@link System#nanoTime()}), with {@link #timeouts}. */
  long start;

  /** A caller stopped waiting for this load at a timeout. */
  void release() {
    released = true;
  }

  /** Whether a caller stopped waiting: the load's result is then published as a put's is. */
  boolean released() {
    return released;
  }

  /** The leader is about to call the loader: waiters now wait for the result. */
  void enterLoader() {
    inLoader = true;
  }

  /** The leader is back on Redis (or done loading). */
  void leaveLoader() {
    phaseStart = System.nanoTime();
    inLoader = false;
  }

  /**
   * The leader's result, or {@code null} when the leader has spent more than {@code timeoutNanos}
   * on Redis (or this thread was interrupted; the flag is kept). Rethrows the leader's failure.
   */
  @Nullable L1Entry<V> await(long timeoutNanos) {
    return await(timeoutNanos, Long.MAX_VALUE);
  }

  /**
   * As {@link #await(long)}, and also {@code null} once {@link System#nanoTime()} has reached
   * {@code deadline} ({@code Long.MAX_VALUE}: none; the caller tells the two apart by the time).
   */
  @Nullable L1Entry<V> await(long timeoutNanos, long deadline) {
    while (true) {
      boolean loading = inLoader;
      long now = System.nanoTime();
      long wait = loading ? timeoutNanos : phaseStart + timeoutNanos - now;
      if (deadline != Long.MAX_VALUE) {
        wait = Math.min(wait, deadline - now);
      }
      if (wait <= 0 && !isDone()) {
        return null;
      }
      try {
        return get(Math.max(0, wait), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        // loop: the leader may have moved on to its loader, or be stuck on Redis
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      } catch (ExecutionException e) {
        throw rethrow(e.getCause());
      }
    }
  }

  /**
   * A failed load's {@code cause} as it was thrown: an {@link Error} is thrown from here, a runtime
   * exception returned for the caller to throw, anything else wrapped.
   */
  static RuntimeException rethrow(@Nullable Throwable cause) {
    if (cause instanceof Error err) {
      throw err;
    }
    return cause instanceof RuntimeException re ? re : new IllegalStateException(cause);
  }
}
