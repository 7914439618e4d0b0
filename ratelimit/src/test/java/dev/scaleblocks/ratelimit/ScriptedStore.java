package dev.scaleblocks.ratelimit;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link CounterStore} of our own for the tests of the pieces above a store: each key answers as
 * the test scripted it — at once, after a latch, with an error, entering "Redis" or not — and the
 * calls are counted. Blocking unless made {@link #nonBlocking(boolean) non-blocking}.
 */
class ScriptedStore implements CounterStore {

  /** What one key does when decided. */
  @FunctionalInterface
  interface Body {
    StoreAnswer run(Progress progress) throws InterruptedException, LocalWaitTimeout;
  }

  /** What one key does when sent without blocking. */
  @FunctionalInterface
  interface Send {
    CompletableFuture<StoreAnswer> send();
  }

  static final StoreAnswer OK = new StoreAnswer(true, 1, 0, 10, 9, 0, 0, 0);

  private final Map<String, Body> bodies = new ConcurrentHashMap<>();
  private final Map<String, Send> sends = new ConcurrentHashMap<>();
  private final boolean nonBlocking;
  final AtomicInteger calls = new AtomicInteger();
  /** Refunds received: each gives something back. */
  final AtomicInteger refunds = new AtomicInteger();

  ScriptedStore(boolean nonBlocking) {
    this.nonBlocking = nonBlocking;
  }

  /** A blocking store whose unscripted keys enter Redis and answer {@link #OK}. */
  ScriptedStore() {
    this(false);
  }

  ScriptedStore on(String key, Body body) {
    bodies.put(key, body);
    return this;
  }

  ScriptedStore onSend(String key, Send send) {
    sends.put(key, send);
    return this;
  }

  @Override
  public StoreAnswer decide(String key, long permits, long maxPermits, Progress progress)
      throws InterruptedException, LocalWaitTimeout {
    calls.incrementAndGet();
    Body b = bodies.get(key);
    if (b == null) {
      progress.enteringRedis();
      return OK;
    }
    return b.run(progress);
  }

  @Override
  public boolean nonBlocking() {
    return nonBlocking;
  }

  @Override
  public CompletableFuture<StoreAnswer> decideAsync(String key, long permits, long maxPermits) {
    calls.incrementAndGet();
    Send s = sends.get(key);
    return s == null ? CompletableFuture.completedFuture(OK) : s.send();
  }

  @Override
  public boolean refund(String key, long permits, long atMillis) {
    refunds.incrementAndGet();
    return true;
  }

  @Override
  public CompletableFuture<Boolean> refundAsync(String key, long permits, long atMillis) {
    return CompletableFuture.completedFuture(refund(key, permits, atMillis));
  }
}
