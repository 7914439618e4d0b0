package dev.scaleblocks.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scaleblocks.core.testing.FakeTicker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The leasing decorator alone, over an in-memory store on a fake ticker: one inner call takes up
 * to k permits, the surplus is served from memory until used up or the hold ends, a fixed-window
 * lease ends with its window, leftovers are dropped, and a refill that cannot get its key's lock
 * is a local wait.
 */
class LeasingStoreTest {

  private static final int K = 10;

  private final FakeTicker ticker = new FakeTicker();
  private final Counter hits = new SimpleMeterRegistry().counter("hits");

  /** The inner store: in memory, counting the calls that "reach Redis". */
  private static final class Inner implements CounterStore {
    final LocalCounterStore local;
    final AtomicInteger calls = new AtomicInteger();
    volatile CountDownLatch hold = new CountDownLatch(0);

    Inner(Algorithm algorithm, long quota, Duration period, FakeTicker ticker) {
      LimitSpec[] limits = RateLimiterBuilder.specs(List.of(Limit.of(quota, period)), algorithm);
      this.local = LocalCounterStore.create(algorithm, limits, 1000, ticker, Runnable::run);
    }

    @Override
    public StoreAnswer decide(String key, long permits, long maxPermits, Progress progress)
        throws InterruptedException {
      progress.enteringRedis();
      calls.incrementAndGet();
      hold.await();
      return local.decide(key, permits, maxPermits);
    }
  }

  private LeasingStore leasing(Inner inner, Duration hold, boolean capAtReset) {
    return new LeasingStore(inner, K, hold, capAtReset, Duration.ofMillis(50), 1000, ticker, hits);
  }

  @Test
  void oneInnerCallTakesALeaseServedFromMemoryUntilUsedUp() throws Exception {
    Inner inner = new Inner(Algorithm.TOKEN_BUCKET, 100, Duration.ofSeconds(1), ticker);
    LeasingStore store = leasing(inner, Duration.ofSeconds(1), false);
    assertThat(store.answerFromMemory("k", 1)).as("no lease yet").isNull();
    AtomicInteger entered = new AtomicInteger();
    StoreAnswer first = store.decide("k", 1, 1, entered::incrementAndGet);
    assertThat(first.allowed()).isTrue();
    assertThat(first.granted()).isEqualTo(K);
    assertThat(entered).as("the inner store's progress reaches the caller").hasValue(1);
    for (int i = 1; i < K; i++) {
      StoreAnswer served = store.answerFromMemory("k", 1);
      assertThat(served).isNotNull();
      assertThat(served.allowed()).isTrue();
      assertThat(served.granted()).isEqualTo(1);
      assertThat(served.remaining()).isEqualTo(100 - K + (K - 1 - i));
    }
    assertThat(store.answerFromMemory("k", 1)).as("used up").isNull();
    assertThat(inner.calls).hasValue(1);
    assertThat(hits.count()).isEqualTo(K - 1);
    store.decide("k", 1, 1, CounterStore.Progress.NONE);
    assertThat(inner.calls).hasValue(2);
  }

  @Test
  void aLeaseEndsAtItsHoldTime() throws Exception {
    Inner inner = new Inner(Algorithm.TOKEN_BUCKET, 100, Duration.ofSeconds(1), ticker);
    LeasingStore store = leasing(inner, Duration.ofMillis(200), false);
    store.decide("k", 1, 1, CounterStore.Progress.NONE);
    assertThat(store.answerFromMemory("k", 1)).isNotNull();
    ticker.advanceMillis(200);
    assertThat(store.answerFromMemory("k", 1)).as("held 200 ms at most").isNull();
  }

  @Test
  void aFixedWindowLeaseEndsWithItsWindow() throws Exception {
    Inner inner = new Inner(Algorithm.FIXED_WINDOW, 100, Duration.ofSeconds(1), ticker);
    LeasingStore store = leasing(inner, Duration.ofSeconds(1), true);
    // to 100 ms before the window's end
    ticker.advanceMillis(Math.floorMod(900 - Math.floorDiv(ticker.read(), 1_000_000L), 1000));
    StoreAnswer first = store.decide("k", 1, 1, CounterStore.Progress.NONE);
    assertThat(first.resetMillis()).isEqualTo(100);
    ticker.advanceMillis(99);
    assertThat(store.answerFromMemory("k", 1)).isNotNull();
    ticker.advanceMillis(1);
    assertThat(store.answerFromMemory("k", 1)).as("the window ended, so did its lease").isNull();
  }

  @Test
  void aRefillForMoreThanIsLeftDropsTheLeftovers() throws Exception {
    Inner inner = new Inner(Algorithm.TOKEN_BUCKET, 100, Duration.ofSeconds(1), ticker);
    LeasingStore store = leasing(inner, Duration.ofSeconds(1), false);
    store.decide("k", 1, 1, CounterStore.Progress.NONE); // 9 left
    assertThat(store.answerFromMemory("k", 10)).as("too few left").isNull();
    StoreAnswer refill = store.decide("k", 10, 10, CounterStore.Progress.NONE);
    assertThat(refill.granted()).as("exactly what was asked, no surplus to lease").isEqualTo(10);
    assertThat(store.answerFromMemory("k", 1)).as("the 9 left were dropped, not carried").isNull();
    // 1 + 9 dropped + 10 taken from the bucket of 100
    assertThat(refill.remaining()).isEqualTo(80);
  }

  @Test
  void aRejectionLeavesNoLease() throws Exception {
    Inner inner = new Inner(Algorithm.TOKEN_BUCKET, 10, Duration.ofSeconds(1), ticker);
    LeasingStore store = leasing(inner, Duration.ofSeconds(1), false);
    store.decide("k", 10, 10, CounterStore.Progress.NONE);
    StoreAnswer rejected = store.decide("k", 1, 1, CounterStore.Progress.NONE);
    assertThat(rejected.allowed()).isFalse();
    assertThat(store.answerFromMemory("k", 1)).isNull();
  }

  @Test
  void aRefillThatCannotGetItsKeysLockInTimeIsALocalWait() throws Exception {
    Inner inner = new Inner(Algorithm.TOKEN_BUCKET, 100, Duration.ofSeconds(1), ticker);
    LeasingStore store = leasing(inner, Duration.ofSeconds(1), false);
    inner.hold = new CountDownLatch(1);
    CountDownLatch entered = new CountDownLatch(1);
    CompletableFuture<StoreAnswer> first = CompletableFuture.supplyAsync(() -> {
      try {
        return store.decide("k", 1, 1, entered::countDown);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    entered.await(); // the first refill holds the key's lock, in "Redis"
    assertThatThrownBy(() -> store.decide("k", 1, 1, CounterStore.Progress.NONE))
        .isInstanceOf(CounterStore.LocalWaitTimeout.class)
        .hasMessage("another lease of this key is still being taken");
    assertThat(inner.calls).as("the waiting refill never reached the inner store").hasValue(1);
    inner.hold.countDown();
    assertThat(first.join().granted()).isEqualTo(K);
    assertThat(store.decide("k", 1, 1, CounterStore.Progress.NONE).granted())
        .as("served under the lock from the lease just taken").isEqualTo(1);
    assertThat(inner.calls).hasValue(1);
  }
}
