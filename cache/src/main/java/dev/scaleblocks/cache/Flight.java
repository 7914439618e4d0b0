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
    while (true) {
      boolean loading = inLoader;
      long wait = loading ? timeoutNanos : phaseStart + timeoutNanos - System.nanoTime();
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
        Throwable cause = e.getCause();
        if (cause instanceof RuntimeException re) {
          throw re;
        }
        if (cause instanceof Error err) {
          throw err;
        }
        throw new IllegalStateException(cause);
      }
    }
  }
}
