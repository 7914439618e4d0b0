package dev.scaleblocks.cache;

import java.time.Duration;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.commons.pool2.impl.GenericObjectPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Connection;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Lends the connections of a standalone client's pool, each for one L2 call under one deadline (the
 * L2 timeout from the call's start), without changing the pool or the client: the borrow waits at
 * most the time left (an exhausted pool fails like a Redis that does not answer), the connection's
 * socket timeout is set to the time then left for the call's commands and restored when it goes
 * back, and a connection that failed mid-reply is invalidated, never returned out of step.
 *
 * <p>A borrow that finds no idle connection while the pool is below its size may make one, and
 * making one (connect, then the client's handshake) runs under the client's own timeouts, which the
 * cache does not own. Such a borrow therefore runs on a small shared daemon executor and the caller
 * waits for it only until its deadline; a connection that arrives later goes back to the pool for
 * the next call. Invalidation runs there too, because the pool may make a replacement on the
 * invalidating thread. Other borrows (an idle connection, or a full pool to wait on) run on the
 * caller's thread; the pool's counts are read without a lock, so if they change between the look
 * and the borrow and the pool then makes a connection on the caller's thread, that one call is
 * bounded by the client's connect and socket timeouts instead.
 *
 * <p>Thread-safe. Cost per call: a pool borrow and return and two socket-option calls; a thread
 * hand-off only when the pool has room but no idle connection.
 */
final class DeadlineConnections {

  private static final Logger log = LoggerFactory.getLogger(DeadlineConnections.class);

  private static final AtomicInteger THREADS = new AtomicInteger();

  /** Borrows that may make a connection, and invalidations; threads end after 10 s idle. */
  private static final ThreadPoolExecutor HELPERS =
      new ThreadPoolExecutor(0, 64, 10, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
        Thread t = new Thread(r, "scaleblocks-cache-redis-connect-" + THREADS.incrementAndGet());
        t.setDaemon(true);
        return t;
      });

  /**
   * Runs {@code task} on the shared helper threads; false when all of them are busy (the task is
   * not run). For short background I/O of the cache's Redis tier, never on a caller's thread.
   */
  static boolean runInBackground(Runnable task) {
    try {
      HELPERS.execute(task);
      return true;
    } catch (RejectedExecutionException e) {
      return false;
    }
  }

  /** Commands sent on a lent connection. */
  interface Body<T> {
    T run(Connection connection);
  }

  private final GenericObjectPool<Connection> pool;
  private final long timeoutNanos;

  DeadlineConnections(GenericObjectPool<Connection> pool, Duration timeout) {
    this.pool = pool;
    this.timeoutNanos = timeout.toNanos();
  }

  /** Whether the pool lent from is still open (a Cluster client closes a node's pool when the node leaves). */
  boolean isOpen() {
    return !pool.isClosed();
  }

  /** The pool lent from, for a connection of its own made by the same factory. */
  GenericObjectPool<Connection> pool() {
    return pool;
  }

  /** The L2 timeout in whole milliseconds (at least 1), for calls that renew it per round trip. */
  int timeoutMillis() {
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(timeoutNanos)));
  }

  /**
   * Runs {@code body} on a pooled connection; the whole call (borrow and commands) ends within the
   * L2 timeout or throws a {@link JedisConnectionException}. Deadlines are real time (the socket's),
   * never the cache's ticker.
   */
  <T> T withConnection(Body<T> body) {
    return withConnection(System.nanoTime() + timeoutNanos, body);
  }

  /**
   * Runs {@code body} as {@link #withConnection(Body)} does, under a deadline the caller already
   * set ({@link System#nanoTime()} based): for a call that visits several pools (Cluster nodes)
   * under one deadline.
   */
  <T> T withConnection(long deadline, Body<T> body) {
    Connection c = borrow(deadline);
    int original = c.getSoTimeout();
    boolean inStep = false;
    try {
      c.setSoTimeout(millisLeft(deadline));
      T result = body.run(c);
      inStep = true;
      return result;
    } catch (JedisDataException e) {
      inStep = true; // an error reply, read in full
      throw e;
    } finally {
      release(c, original, inStep && !c.isBroken());
    }
  }

  @SuppressWarnings("FutureReturnValueIgnored") // a late connection is given back when it comes; nothing waits on that
  private Connection borrow(long deadline) {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      throw new JedisConnectionException("no redis connection within the L2 timeout (" + timeoutMillis() + " ms)");
    }
    int max = pool.getMaxTotal();
    if (pool.getNumIdle() > 0 || (max >= 0 && pool.getNumActive() >= max)) {
      return borrowNow(left); // takes an idle connection, or waits for one to come back
    }
    CompletableFuture<Connection> lent = new CompletableFuture<>();
    try {
      HELPERS.execute(() -> {
        try {
          long stillLeft = deadline - System.nanoTime();
          if (stillLeft <= 0) {
            throw new NoSuchElementException("deadline passed before the borrow started");
          }
          lent.complete(pool.borrowObject(Duration.ofNanos(stillLeft)));
        } catch (Throwable e) {
          lent.completeExceptionally(e);
        }
      });
    } catch (RejectedExecutionException e) {
      return borrowNow(left);
    }
    try {
      return lent.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      lent.thenAccept(this::giveBack);
      throw new JedisConnectionException("no redis connection within the L2 timeout (" + timeoutMillis() + " ms)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      lent.thenAccept(this::giveBack);
      throw new JedisConnectionException("interrupted while waiting for a redis connection", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw failure(cause != null ? cause : e);
    }
  }

  private Connection borrowNow(long leftNanos) {
    try {
      return pool.borrowObject(Duration.ofNanos(Math.max(0, leftNanos)));
    } catch (Exception e) {
      throw failure(e);
    }
  }

  private JedisException failure(Throwable e) {
    if (e instanceof JedisException je) {
      return je;
    }
    if (e instanceof NoSuchElementException) {
      return new JedisConnectionException(
          "no redis connection within the L2 timeout (" + timeoutMillis() + " ms): the client's pool is exhausted", e);
    }
    return new JedisConnectionException("could not get a redis connection", e);
  }

  private static int millisLeft(long deadline) {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      throw new JedisConnectionException("the L2 timeout elapsed before the command was sent");
    }
    // never 0: a socket timeout of 0 waits forever
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, (left + 999_999) / 1_000_000));
  }

  private void release(Connection c, int originalSoTimeout, boolean inStep) {
    if (inStep) {
      try {
        c.setSoTimeout(originalSoTimeout);
        pool.returnObject(c);
        return;
      } catch (RuntimeException e) {
        log.debug("redis connection could not be returned to the pool, invalidating it: {}", e.toString());
      }
    }
    Runnable invalidate = () -> {
      try {
        pool.invalidateObject(c);
      } catch (Exception e) {
        log.debug("invalidating a redis connection failed: {}", e.toString());
      }
    };
    try {
      HELPERS.execute(invalidate);
    } catch (RejectedExecutionException e) {
      invalidate.run();
    }
  }

  /** A connection borrowed for a caller that stopped waiting: back to the pool, untouched. */
  private void giveBack(Connection c) {
    try {
      pool.returnObject(c);
    } catch (RuntimeException e) {
      log.debug("returning a late redis connection failed: {}", e.toString());
    }
  }
}
