package dev.scaleblocks.ratelimit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;

/**
 * Turns the decisions of concurrent callers into few script calls: a group commit per Cluster
 * slot (one group on a standalone Redis), with no timer. A decision that finds fewer than {@value
 * #MAX_IN_FLIGHT} calls of its group in flight is sent at once, alone; the decisions that arrive
 * while calls are in flight wait in the group's queue and leave together, at most {@value
 * #MAX_BATCH} in one call, as soon as a call in flight is answered. So a lone caller pays nothing,
 * and the busier Redis is, the more decisions share each call: Redis runs one script per batch
 * instead of one per decision (its per-call cost, about 4 µs of the 7–10 µs a decision costs
 * there, is paid once), which is what lets decisions pass Redis' ceiling of script calls.
 *
 * <p>Only for a client that sends without blocking (Lettuce, coalesced Jedis): the next batch is
 * sent from the thread that completes the last one, the client's I/O or flusher thread, and
 * sending must not block there.
 *
 * <p>Exactly once, in order: each decision is in exactly one call, sent once (the client's
 * {@code NOSCRIPT} reload runs the call once); decisions leave in the order they were queued and
 * a group's calls go out in order on the client's connection to the slot's node, so two decisions
 * of one key are decided in the order they were asked. A call that fails fails every decision in
 * it, none sent again; within a call, the script reports a decision that failed by itself (a key of
 * the wrong type) for that decision only.
 *
 * <p>Thread-safe, lock-free. Cost per decision: a queue insertion and, under load, a share of one
 * call. Memory: a queue and a counter per slot in use (on a Cluster, a table of 16 384 references
 * besides).
 */
final class DecisionBatches {

  /** Most decisions in one script call. */
  static final int MAX_BATCH = 64;

  /** Most calls of one group sent and not yet answered. */
  static final int MAX_IN_FLIGHT = 2;

  private static final int SLOTS = 16384;

  /** One decision waiting for its call. */
  static final class Pending {
    final String key;
    final List<byte[]> keys;
    final long permits;
    final long maxPermits;
    final CompletableFuture<StoreAnswer> answer = new CompletableFuture<>();

    Pending(String key, List<byte[]> keys, long permits, long maxPermits) {
      this.key = key;
      this.keys = keys;
      this.permits = permits;
      this.maxPermits = maxPermits;
    }
  }

  /** Sends decisions to Redis. */
  interface Sender {
    /**
     * Sends {@code batch} (one decision or several, all of one slot) as one call without blocking,
     * and completes each decision's {@link Pending#answer}; the returned future completes once
     * they all are (never exceptionally).
     */
    CompletableFuture<?> send(List<Pending> batch);
  }

  private final Sender sender;
  private final Group single = new Group();
  /** A Cluster's groups by slot, made on first use; null on a standalone Redis. */
  private final @Nullable AtomicReferenceArray<@Nullable Group> bySlot;

  DecisionBatches(Sender sender, boolean cluster) {
    this.sender = sender;
    this.bySlot = cluster ? new AtomicReferenceArray<>(SLOTS) : null;
  }

  /** Queues {@code pending} for {@code slot} and sends what may be sent now. */
  CompletableFuture<StoreAnswer> submit(int slot, Pending pending) {
    Group g = group(slot);
    g.queue.offer(pending);
    drain(g);
    return pending.answer;
  }

  private Group group(int slot) {
    AtomicReferenceArray<@Nullable Group> table = bySlot;
    if (table == null) {
      return single;
    }
    Group g = table.get(slot);
    if (g == null) {
      Group made = new Group();
      g = table.compareAndExchange(slot, null, made);
      if (g == null) {
        g = made;
      }
    }
    return g;
  }

  /**
   * Sends batches while fewer than {@value #MAX_IN_FLIGHT} are in flight and decisions wait. The
   * one who queues checks the count after queuing; the one whose call was answered checks the
   * queue after lowering the count: between them no decision is left waiting with no call in
   * flight.
   */
  @SuppressWarnings("FutureReturnValueIgnored") // the callback only moves the group on
  private void drain(Group g) {
    while (true) {
      int f = g.inFlight.get();
      if (f >= MAX_IN_FLIGHT || g.queue.isEmpty()) {
        return;
      }
      if (!g.inFlight.compareAndSet(f, f + 1)) {
        continue;
      }
      List<Pending> batch = new ArrayList<>(Math.min(MAX_BATCH, 8));
      Pending p;
      while (batch.size() < MAX_BATCH && (p = g.queue.poll()) != null) {
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
        for (Pending each : batch) {
          each.answer.completeExceptionally(e);
        }
        sent = CompletableFuture.completedFuture(null);
      }
      sent.whenComplete((ok, error) -> {
        g.inFlight.decrementAndGet();
        drain(g);
      });
    }
  }

  /** One slot's queue and its calls in flight. */
  private static final class Group {
    final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    final AtomicInteger inFlight = new AtomicInteger();
  }
}
