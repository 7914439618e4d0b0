package dev.scaleblocks.cache;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * Redis keys whose {@code put} or invalidation could not reach Redis, waiting for a tombstone once
 * Redis answers again. One entry per key however often it was written (the latest intent wins: a
 * later write of the key that does reach Redis takes the key out again), so the queue is bounded by
 * distinct keys, never by writes; beyond {@code capacity} keys new ones are refused and counted.
 *
 * <p>Thread-safe; every method takes one short lock and does no I/O under it. Cost: O(1) per
 * {@link #add}/{@link #remove}, O(batch) per {@link #poll}.
 */
final class RepairQueue {

  private final int capacity;
  private final LinkedHashSet<ByteBuffer> keys = new LinkedHashSet<>();

  RepairQueue(int capacity) {
    this.capacity = capacity;
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
