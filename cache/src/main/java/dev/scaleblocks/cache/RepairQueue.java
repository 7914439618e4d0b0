package dev.scaleblocks.cache;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Redis keys whose {@code put} or invalidation could not reach Redis, waiting for a tombstone once
 * Redis answers again. One entry per key however often it was written (the latest intent wins: a
 * later write of the key that does reach Redis takes the key out again), so the queue is bounded by
 * distinct keys, never by writes; beyond {@code capacity} keys new ones are refused and counted.
 *
 * <p>{@link #settle} is where every put and invalidation reports its L2 write; {@link #retry} is
 * where the cache's repair (on the invalidation publisher's tick) takes a batch back out, one
 * repair at a time.
 *
 * <p>Thread-safe; every method but {@link #retry} takes one short lock and does no I/O under it;
 * {@link #retry} runs its write under a separate try-lock, so a second caller returns at once.
 * Cost: O(1) per {@link #add}/{@link #remove}, O(batch) per {@link #poll} and {@link #settle}.
 */
final class RepairQueue {

  private static final Logger log = LoggerFactory.getLogger(RepairQueue.class);

  private final int capacity;
  private final String cacheName;
  private final LinkedHashSet<ByteBuffer> keys = new LinkedHashSet<>();
  private final AtomicBoolean overflowLogged = new AtomicBoolean();
  private final ReentrantLock retryLock = new ReentrantLock();

  RepairQueue(int capacity) {
    this(capacity, "");
  }

  /** A queue of up to {@code capacity} keys for the cache named {@code cacheName} (for its log). */
  RepairQueue(int capacity, String cacheName) {
    this.capacity = capacity;
    this.cacheName = cacheName;
  }

  /**
   * After a put's or invalidation's L2 write: a success cancels pending repairs of its keys, a
   * failure queues them. The caller counts the failure.
   */
  void settle(boolean written, List<byte[]> rkeys) {
    for (byte[] rk : rkeys) {
      if (written) {
        remove(rk);
      } else {
        schedule(rk);
      }
    }
  }

  /**
   * Remembers a key whose put or invalidation could not reach Redis: once Redis answers again, a
   * tombstone replaces whatever older value L2 still holds and the other instances are told again.
   * One entry per key, however often it was written; past {@code capacity} keys, logs once (until a
   * repair succeeds) that some keys may stay stale in L2 until their TTL.
   */
  void schedule(byte[] rkey) {
    if (!add(rkey) && overflowLogged.compareAndSet(false, true)) {
      log.error("cache {}: more than {} distinct keys could not be written to redis; some may stay stale in L2 "
          + "until their TTL", cacheName, capacity);
    }
  }

  /**
   * Takes up to {@code max} keys and hands them to {@code write} (the tombstones' I/O); puts them
   * back when it returns {@code false}. Does nothing when the queue is empty or another retry runs.
   */
  void retry(int max, Predicate<List<byte[]>> write) {
    if (isEmpty() || !retryLock.tryLock()) {
      return;
    }
    try {
      List<byte[]> batch = poll(max);
      if (batch.isEmpty()) {
        return;
      }
      if (write.test(batch)) {
        overflowLogged.set(false);
      } else {
        requeue(batch);
      }
    } finally {
      retryLock.unlock();
    }
  }

  /** Queues {@code rkey}; {@code false} only when it is new and the queue already holds {@code capacity} keys. */
  synchronized boolean add(byte[] rkey) {
    ByteBuffer k = ByteBuffer.wrap(rkey);
    if (keys.contains(k)) {
      return true;
    }
    if (keys.size() >= capacity) {
      return false;
    }
    keys.add(k);
    return true;
  }

  /** Forgets {@code rkey}: a later write of it reached Redis, so its repair is no longer wanted. */
  synchronized void remove(byte[] rkey) {
    if (!keys.isEmpty()) {
      keys.remove(ByteBuffer.wrap(rkey));
    }
  }

  /** Takes up to {@code max} keys, oldest first. */
  synchronized List<byte[]> poll(int max) {
    List<byte[]> out = new ArrayList<>(Math.min(max, keys.size()));
    for (Iterator<ByteBuffer> it = keys.iterator(); it.hasNext() && out.size() < max; ) {
      out.add(it.next().array());
      it.remove();
    }
    return out;
  }

  /** Puts back keys whose repair failed (up to {@code capacity}). */
  synchronized void requeue(List<byte[]> batch) {
    for (byte[] k : batch) {
      if (keys.size() >= capacity) {
        return;
      }
      keys.add(ByteBuffer.wrap(k));
    }
  }

  synchronized int size() {
    return keys.size();
  }

  boolean isEmpty() {
    return size() == 0;
  }
}
