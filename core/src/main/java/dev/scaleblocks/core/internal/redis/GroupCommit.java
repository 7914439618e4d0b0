package dev.scaleblocks.core.internal.redis;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;

/**
 * Turns the calls of concurrent callers into few calls to Redis: a group commit per group (a
 * Cluster slot, or one group for everything), with no timer. A call that finds fewer than {@code
 * maxInFlight} calls of its group in flight is sent at once, alone; the calls that arrive while
 * that many are in flight wait in the group's queue and leave together, at most {@code maxBatch}
 * at a time, as soon as one in flight is answered. So a lone caller pays nothing, and the busier
 * Redis is, the more callers share each call. Used by the rate limiter: several decisions in one
 * script call.
 *
 * <p>Only for a client that sends without blocking (Lettuce, coalesced Jedis): the next batch is
 * sent from the thread that completes the last one, the client's I/O or flusher thread, and
 * sending must not block there.
 *
 * <p>In order, once: each item is in exactly one batch, batches leave a group in the order their
 * items were queued, and the sender sends each once. A sender that throws fails its batch.
 *
 * <p>Thread-safe, lock-free. Cost per item: a queue insertion and a future and, under load, a
 * share of one call. Memory: a queue and a counter per group in use, and a table of {@code groups}
 * references.
 *
 * @param <I> what a caller asks for
 * @param <O> what it is answered
 */
public final class GroupCommit<I, O> {

  /** One item waiting for its batch, and the future its caller holds. */
  public static final class Pending<I, O> {
    /** What the caller asked for. */
    public final I item;
    /** Completed by the {@link Sender}. */
    public final CompletableFuture<O> result = new CompletableFuture<>();

    Pending(I item) {
      this.item = item;
    }
  }

  /** Sends items to Redis. */
  @FunctionalInterface
  public interface Sender<I, O> {
    /**
     * Sends {@code batch} (one item or several, all of one group) without blocking, and completes
     * each item's {@link Pending#result}; the returned future completes once they all are (its
     * outcome is not looked at).
     */
    CompletableFuture<?> send(List<Pending<I, O>> batch);
  }

  private final Sender<I, O> sender;
  private final int maxBatch;
  private final int maxInFlight;
  private final AtomicReferenceArray<@Nullable Group<I, O>> groups;

  /**
   * @param groups how many groups (1, or 16 384 for a Cluster's slots)
   * @param maxBatch most items in one batch
   * @param maxInFlight most batches of one group sent and not yet answered
   */
  public GroupCommit(Sender<I, O> sender, int groups, int maxBatch, int maxInFlight) {
    this.sender = sender;
    this.maxBatch = maxBatch;
    this.maxInFlight = maxInFlight;
    this.groups = new AtomicReferenceArray<>(groups);
  }

  /** Queues {@code item} in {@code group} and sends what may be sent now; its future. */
  public CompletableFuture<O> submit(int group, I item) {
    Group<I, O> g = group(group);
    Pending<I, O> pending = new Pending<>(item);
    g.queue.offer(pending);
    drain(g);
    return pending.result;
  }

  private Group<I, O> group(int index) {
    Group<I, O> g = groups.get(index);
    if (g == null) {
      Group<I, O> made = new Group<>();
      g = groups.compareAndExchange(index, null, made);
      if (g == null) {
        g = made;
      }
    }
    return g;
  }

  /**
   * Sends batches while fewer than {@code maxInFlight} are in flight and items wait. The one who
   * queues checks the count after queuing; the one whose call was answered checks the queue after
   * lowering the count: between them no item is left waiting with no call in flight.
   */
  @SuppressWarnings("FutureReturnValueIgnored") // the callback only moves the group on
  private void drain(Group<I, O> g) {
    while (true) {
      int f = g.inFlight.get();
      if (f >= maxInFlight || g.queue.isEmpty()) {
        return;
      }
      if (!g.inFlight.compareAndSet(f, f + 1)) {
        continue;
      }
      List<Pending<I, O>> batch = new ArrayList<>(Math.min(maxBatch, 8));
      Pending<I, O> p;
      while (batch.size() < maxBatch && (p = g.queue.poll()) != null) {
        batch.add(p);
      }
      if (batch.isEmpty()) {
        g.inFlight.decrementAndGet();
        continue;
      }
      CompletableFuture<?> sent;
      try {
        sent = sender.send(batch);
      } catch (RuntimeException | Error e) {
        for (Pending<I, O> each : batch) {
          each.result.completeExceptionally(e);
        }
        sent = CompletableFuture.completedFuture(null);
      }
      sent.whenComplete((ok, error) -> {
        g.inFlight.decrementAndGet();
        drain(g);
      });
    }
  }

  /** One group's queue and its calls in flight. */
  private static final class Group<I, O> {
    final ConcurrentLinkedQueue<Pending<I, O>> queue = new ConcurrentLinkedQueue<>();
    final AtomicInteger inFlight = new AtomicInteger();
  }
}
