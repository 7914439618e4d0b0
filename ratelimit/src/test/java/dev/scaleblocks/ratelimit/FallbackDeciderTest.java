package dev.scaleblocks.ratelimit;

import static dev.scaleblocks.ratelimit.ScriptedStore.OK;
import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.breaker.CircuitBreaker;
import dev.scaleblocks.core.internal.OwnedMeters;
import dev.scaleblocks.core.testing.FakeTicker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The failure policy alone: a guarded scripted store that answers, fails ("down": an error from
 * Redis) or cannot start the call ("busy": a local wait timed out), a breaker on a fake ticker
 * opened by hand, and the local share in memory. Policy 100/s over 4 instances: the local share
 * is 25/s.
 */
class FallbackDeciderTest {

  private static final LimitSpec[] LIMITS =
      RateLimiterBuilder.specs(List.of(Limit.of(100, Duration.ofSeconds(1))), Algorithm.TOKEN_BUCKET);
  private static final LimitSpec[] SHARE =
      RateLimiterBuilder.specs(List.of(Limit.of(25, Duration.ofSeconds(1))), Algorithm.TOKEN_BUCKET);

  private final FakeTicker ticker = new FakeTicker();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  /** Judges only after 100 calls: opened by hand, never by a test's few failures. */
  private final CircuitBreaker breaker = CircuitBreaker.builder("fallback").ticker(ticker)
      .slidingWindowSize(100).minimumNumberOfCalls(100).build();
  private final ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 1, TimeUnit.MINUTES,
      new ArrayBlockingQueue<>(16));
  private final ScriptedStore store = new ScriptedStore()
      .on("down", progress -> {
        progress.enteringRedis();
        throw new IllegalStateException("connection refused");
      })
      .on("busy", progress -> {
        throw new CounterStore.LocalWaitTimeout("another lease of this key is still being taken");
      });
  private FallbackDecider decider = decider(FailurePolicy.FAIL_OPEN, store);

  private FallbackDecider decider(FailurePolicy policy, CounterStore s) {
    OwnedMeters meters = OwnedMeters.claim(registry, "rate limiter", "p-" + policy + "-" + s.hashCode());
    GuardedStore guarded = new GuardedStore(s, executor, breaker, Duration.ofSeconds(10), 16,
        registry.counter("redis.calls"));
    LocalCounterStore share = LocalCounterStore.create(Algorithm.TOKEN_BUCKET, SHARE, 1000, ticker,
        Runnable::run);
    return new FallbackDecider("p", guarded, share, RateLimiterBuilder.capacity(SHARE), LIMITS,
        policy, ticker, meters);
  }

  @AfterEach
  void stop() {
    decider.close();
  }

  private double count(String name, String... tags) {
    return registry.get(name).tags(tags).counter().count();
  }

  private void openTheBreaker() {
    for (int i = 0; i < 200 && breaker.state() != CircuitBreaker.State.OPEN; i++) {
      breaker.onError(1, new IllegalStateException("down"));
    }
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
  }

  /** How many of {@code n} requests for one permit on {@code key} were admitted. */
  private int admitted(String key, int n) {
    int admitted = 0;
    for (int i = 0; i < n; i++) {
      admitted += decider.decide(key, 1).allowed() ? 1 : 0;
    }
    return admitted;
  }

  @Test
  void anAnswerIsTheStoresOwn() {
    assertThat(decider.decide("k", 1)).isEqualTo(OK);
    assertThat(decider.decideAsync("k", 1).join()).isEqualTo(OK);
    assertThat(registry.get("scaleblocks.ratelimit.store.latency").timer().count()).isEqualTo(2);
    assertThat(count("scaleblocks.ratelimit.fallbacks", "mode", "fail_open")).isZero();
  }

  @Test
  void failOpenLetsTheLocalShareDecideAFailureUntilTheBreakerOpensThenAdmits() {
    assertThat(admitted("down", 30)).as("the local share: 25").isEqualTo(25);
    openTheBreaker();
    StoreAnswer open = decider.decide("down", 3);
    assertThat(open.allowed()).isTrue();
    assertThat(open.limit()).isEqualTo(100);
    assertThat(open.remaining()).isEqualTo(97);
    assertThat(decider.decideAsync("down", 1).join().allowed()).isTrue();
    assertThat(count("scaleblocks.ratelimit.fallbacks", "mode", "fail_open")).isEqualTo(32);
  }

  @Test
  void refundsGoBackWhereThePermitsCameFromAndNeverToRedisForItsFallbacks() {
    StoreAnswer fromRedis = decider.decide("k", 1);
    assertThat(decider.refundAsync("k", 1, fromRedis.nowMillis(), fromRedis.origin()).join())
        .isTrue();
    assertThat(store.refunds).as("a store admission goes back to the store").hasValue(1);

    assertThat(admitted("down", 25)).as("the local share: 25").isEqualTo(25);
    StoreAnswer shared = decider.decide("down", 1);
    assertThat(shared.allowed()).isFalse();
    ticker.advance(Duration.ofMillis(40)); // one permit of the share back
    shared = decider.decide("down", 1);
    assertThat(shared.origin()).isEqualTo(Origin.Place.LOCAL_SHARE);
    assertThat(decider.refundAsync("down", 1, shared.nowMillis(), shared.origin()).join())
        .isTrue();
    assertThat(store.refunds).as("the local share's admission never reaches Redis").hasValue(1);
    assertThat(admitted("down", 3)).as("the refunded permit, in the local share").isEqualTo(1);

    openTheBreaker();
    StoreAnswer blind = decider.decide("down", 1);
    assertThat(blind.allowed()).isTrue();
    assertThat(blind.origin()).isEqualTo(Origin.Place.NOWHERE);
    assertThat(decider.refundAsync("down", 1, blind.nowMillis(), blind.origin()).join())
        .as("FAIL_OPEN counted nothing: nothing to give back").isFalse();
    assertThat(decider.refundAsync("k", 1, fromRedis.nowMillis(), Origin.Place.STORE).join())
        .as("no refund to Redis while its breaker is open").isFalse();
    assertThat(store.refunds).hasValue(1);
  }

  @Test
  void failClosedRejectsFailuresOverloadAndAnOpenBreaker() {
    decider = decider(FailurePolicy.FAIL_CLOSED, store);
    StoreAnswer failed = decider.decide("down", 1);
    assertThat(failed.allowed()).isFalse();
    assertThat(failed.retryMillis()).isEqualTo(1000);
    assertThat(decider.decide("busy", 1).allowed()).isFalse();
    openTheBreaker();
    assertThat(decider.decide("k", 1).allowed()).isFalse();
    assertThat(count("scaleblocks.ratelimit.fallbacks", "mode", "fail_closed")).isEqualTo(2);
    assertThat(count("scaleblocks.ratelimit.overloaded")).isEqualTo(1);
  }

  @Test
  void localFallbackLetsTheLocalShareDecideWhateverTheBreaker() {
    decider = decider(FailurePolicy.LOCAL_FALLBACK, store);
    assertThat(admitted("down", 10)).isEqualTo(10);
    openTheBreaker();
    assertThat(admitted("k", 30)).as("the local share: 25").isEqualTo(25);
    assertThat(decider.decide("big", 26).allowed())
        .as("more permits than the local share can ever admit").isFalse();
  }

  @Test
  void overloadIsDecidedByTheLocalShareAndIsNoFailure() {
    assertThat(admitted("busy", 30)).as("the local share: 25").isEqualTo(25);
    assertThat(decider.decideAsync("busy", 1).join().allowed()).isFalse();
    assertThat(count("scaleblocks.ratelimit.overloaded")).isEqualTo(31);
    assertThat(count("scaleblocks.ratelimit.fallbacks", "mode", "fail_open")).isZero();
    assertThat(count("scaleblocks.ratelimit.store.switches", "to", "fail_open")).isZero();
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
  }

  @Test
  void switchesToThePolicyAndBackAreCountedOnce() {
    admitted("down", 3);
    decider.decide("k", 1);
    decider.decide("k", 1);
    admitted("down", 2);
    assertThat(count("scaleblocks.ratelimit.store.switches", "to", "fail_open"))
        .isEqualTo(2);
    assertThat(count("scaleblocks.ratelimit.store.switches", "to", "store"))
        .isEqualTo(1);
    assertThat(count("scaleblocks.ratelimit.fallbacks", "mode", "fail_open")).isEqualTo(5);
  }

  @Test
  void anAnswerFromMemoryNeedsNoGuardAndIsNoSwitch() {
    ScriptedStore leased = new ScriptedStore() {
      @Override
      public StoreAnswer answerFromMemory(String key, long permits) {
        return OK;
      }
    };
    decider = decider(FailurePolicy.FAIL_CLOSED, leased);
    openTheBreaker();
    assertThat(decider.decide("k", 1)).isEqualTo(OK);
    assertThat(decider.decideAsync("k", 1).join()).isEqualTo(OK);
    assertThat(leased.calls).hasValue(0);
    assertThat(registry.find("scaleblocks.ratelimit.store.latency").timer().count()).isZero();
  }
}
