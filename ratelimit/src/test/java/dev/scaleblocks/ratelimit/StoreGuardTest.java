package dev.scaleblocks.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.breaker.CircuitBreaker;
import dev.scaleblocks.core.testing.FakeTicker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Whose fault a late answer is: one store thread, bodies that hold it on a latch either before
 * or after "sending to Redis". Waiting for the thread is overload and never reaches the breaker;
 * a call that entered Redis and did not answer is a Redis failure and does. The outcomes are
 * asserted, not the times (the timeout is short only so the test is quick).
 */
class StoreGuardTest {

  private static final Duration TIMEOUT = Duration.ofMillis(50);
  private static final Outcome OK = new Outcome(true, 1, 0, 10, 9, 0, 0, 0);

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final CircuitBreaker breaker = CircuitBreaker.builder("guard")
      .telemetry(dev.scaleblocks.core.Telemetry.of(registry))
      .ticker(new FakeTicker()) // never half-opens by itself
      .build();
  private final ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 1, TimeUnit.MINUTES,
      new ArrayBlockingQueue<>(1));
  private final StoreGuard guard = new StoreGuard(executor, breaker, TIMEOUT);
  private final CountDownLatch release = new CountDownLatch(1);

  @AfterEach
  void stop() {
    release.countDown();
    guard.close();
  }

  private double breakerCalls(String outcome) {
    return registry.get("scaleblocks.breaker.calls").tag("outcome", outcome).counter().count();
  }

  private StoreGuard.Body holdingTheThread(boolean inRedis) {
    return attempt -> {
      if (inRedis) {
        attempt.enterRedis();
      }
      release.await();
      return OK;
    };
  }

  @Test
  void waitingForABusyStoreThreadIsOverloadNotARedisFailure() {
    CompletableFuture<StoreGuard.Result> holder =
        guard.callAsync(holdingTheThread(false)); // busy locally, never reaches Redis
    StoreGuard.Result queued = guard.call(attempt -> {
      attempt.enterRedis();
      return OK;
    });
    assertThat(queued).isInstanceOf(StoreGuard.Overloaded.class);
    assertThat(((StoreGuard.Overloaded) queued).reason()).contains("no store thread free");
    // the abandoned call left the queue (capacity 1) when its caller gave up: this one is queued
    // in its place, not refused, and ends the same way
    StoreGuard.Result again = guard.call(attempt -> OK);
    assertThat(again).isEqualTo(
        new StoreGuard.Overloaded("no store thread free within PT0.05S"));
    assertThat(executor.getQueue()).isEmpty();
    release.countDown();
    assertThat(holder.join()).isEqualTo(new StoreGuard.Answered(OK));
    assertThat(breakerCalls("failure")).as("nothing reported as a Redis failure").isZero();
    assertThat(breakerCalls("success")).as("the abandoned call never ran").isZero();
  }

  @Test
  void aCallThatReachedRedisAndDidNotAnswerIsARedisFailure() {
    StoreGuard.Result stuck = guard.call(holdingTheThread(true));
    assertThat(stuck).isEqualTo(new StoreGuard.Failed("no answer from Redis within PT0.05S", false));
    assertThat(breakerCalls("failure")).isEqualTo(1);
    // the store thread is still stuck in Redis: a call that cannot get it is blamed on Redis
    StoreGuard.Result queued = guard.callAsync(attempt -> OK).join();
    assertThat(queued).isInstanceOf(StoreGuard.Failed.class);
    assertThat(((StoreGuard.Failed) queued).reason())
        .contains("while a Redis call has been waiting longer than PT0.05S");
    assertThat(breakerCalls("failure")).as("reported by the call that reached Redis only").isEqualTo(1);
    release.countDown();
  }

  @Test
  void answersAndErrorsFromRedisReachTheBreaker() {
    assertThat(guard.call(attempt -> {
      attempt.enterRedis();
      return OK;
    })).isEqualTo(new StoreGuard.Answered(OK));
    StoreGuard.Result failed = guard.callAsync(attempt -> {
      attempt.enterRedis();
      throw new IllegalStateException("READONLY");
    }).join();
    assertThat(failed).isEqualTo(
        new StoreGuard.Failed("java.lang.IllegalStateException: READONLY", false));
    // a body answering from memory (a lease) reports nothing
    assertThat(guard.call(attempt -> OK)).isEqualTo(new StoreGuard.Answered(OK));
    assertThat(breakerCalls("success")).isEqualTo(1);
    assertThat(breakerCalls("failure")).isEqualTo(1);
  }

  @Test
  void aLocalWaitInsideTheBodyIsOverload() {
    StoreGuard.Result r = guard.call(attempt -> {
      throw new StoreGuard.LocalWaitTimeout("another lease of this key is still being taken");
    });
    assertThat(r).isEqualTo(
        new StoreGuard.Overloaded("another lease of this key is still being taken"));
    assertThat(breakerCalls("failure")).isZero();
  }
}
