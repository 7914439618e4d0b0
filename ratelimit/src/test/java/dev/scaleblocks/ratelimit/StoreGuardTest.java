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
import org.junit.jupiter.api.BeforeAll;
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

  /**
   * The classes of a call are loaded, on a guard of their own, before any test measures against
   * the 50 ms timeout: on a loaded machine a cold first call could miss it by itself and read as a
   * busy store thread. Each test's own executor stays fresh (no thread until its first call).
   */
  @BeforeAll
  static void warmUp() {
    ThreadPoolExecutor e = new ThreadPoolExecutor(1, 1, 1, TimeUnit.MINUTES, new ArrayBlockingQueue<>(1));
    CircuitBreaker b = CircuitBreaker.builder("warm-up").ticker(new FakeTicker()).build();
    try (StoreGuard g = new StoreGuard(e, b, Duration.ofSeconds(10))) {
      g.call(attempt -> OK);
      g.callAsync(attempt -> OK).join();
      g.awaitNonBlocking(() -> CompletableFuture.completedFuture(OK));
      g.callNonBlocking(() -> CompletableFuture.completedFuture(OK)).join();
    }
  }

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

  // ---- a client that does not block: the body sends and returns a future

  @Test
  void aNonBlockingCallIsAnsweredWithoutAStoreThreadAndReportedOnce() {
    long tasks = executor.getTaskCount();
    CompletableFuture<Outcome> answer = new CompletableFuture<>();
    CompletableFuture<StoreGuard.Result> r = guard.callNonBlocking(() -> answer);
    assertThat(r).isNotDone();
    assertThat(executor.getTaskCount()).as("no hand-off to a store thread").isEqualTo(tasks);
    answer.complete(OK);
    assertThat(r).isCompletedWithValue(new StoreGuard.Answered(OK));
    assertThat(breakerCalls("success")).isEqualTo(1);
    assertThat(guard.awaitNonBlocking(() -> CompletableFuture.completedFuture(OK)))
        .isEqualTo(new StoreGuard.Answered(OK));
    assertThat(breakerCalls("success")).isEqualTo(2);
  }

  @Test
  void aNonBlockingCallWithoutAnAnswerFailsAtTheTimeoutAndItsLateAnswerIsDropped() {
    CompletableFuture<Outcome> never = new CompletableFuture<>();
    StoreGuard.Result waited = guard.awaitNonBlocking(() -> never);
    assertThat(waited).isEqualTo(new StoreGuard.Failed("no answer from Redis within PT0.05S", false));
    CompletableFuture<Outcome> late = new CompletableFuture<>();
    StoreGuard.Result timedOut = guard.callNonBlocking(() -> late).join();
    assertThat(timedOut).isEqualTo(new StoreGuard.Failed("no answer from Redis within PT0.05S", false));
    assertThat(breakerCalls("failure")).isEqualTo(2);
    late.complete(OK); // the caller decided without it: not reported again, not decided twice
    never.completeExceptionally(new IllegalStateException("late error"));
    assertThat(breakerCalls("failure")).isEqualTo(2);
    assertThat(breakerCalls("success")).isZero();
  }

  @Test
  void aNonBlockingErrorIsARedisFailureAndAThrowingBodyToo() {
    StoreGuard.Result failed = guard.callNonBlocking(() -> CompletableFuture.failedFuture(
        new java.util.concurrent.CompletionException(new IllegalStateException("READONLY")))).join();
    assertThat(failed).isEqualTo(
        new StoreGuard.Failed("java.lang.IllegalStateException: READONLY", false));
    StoreGuard.Result thrown = guard.awaitNonBlocking(() -> {
      throw new IllegalStateException("connection closed");
    });
    assertThat(thrown).isEqualTo(
        new StoreGuard.Failed("java.lang.IllegalStateException: connection closed", false));
    assertThat(breakerCalls("failure")).isEqualTo(2);
  }

  @Test
  void tooManyNonBlockingCallsInFlightIsOverloadUnlessOneIsStuckInRedis() {
    StoreGuard small = new StoreGuard(executor, breaker, TIMEOUT, 1);
    CompletableFuture<Outcome> first = new CompletableFuture<>();
    CompletableFuture<StoreGuard.Result> inFlight = small.callNonBlocking(() -> first);
    StoreGuard.Result refused = small.callNonBlocking(() -> CompletableFuture.completedFuture(OK)).join();
    assertThat(refused).isEqualTo(new StoreGuard.Overloaded("more than 1 store calls in flight"));
    assertThat(breakerCalls("failure")).as("a busy client is not a sick Redis").isZero();
    // the first call outlives the timeout: now a refusal is blamed on Redis
    assertThat(inFlight.join()).isInstanceOf(StoreGuard.Failed.class);
    StoreGuard.Result stuck = small.awaitNonBlocking(() -> CompletableFuture.completedFuture(OK));
    assertThat(stuck).isInstanceOf(StoreGuard.Failed.class);
    assertThat(((StoreGuard.Failed) stuck).reason())
        .isEqualTo("more than 1 store calls in flight while a Redis call has been waiting longer than PT0.05S");
    first.complete(OK); // answered at last: its place is free again
    assertThat(small.awaitNonBlocking(() -> CompletableFuture.completedFuture(OK)))
        .isEqualTo(new StoreGuard.Answered(OK));
  }

  @Test
  void anOpenBreakerRefusesANonBlockingCallWithoutSendingIt() {
    CircuitBreaker open = CircuitBreaker.builder("open").ticker(new FakeTicker())
        .slidingWindowSize(1).minimumNumberOfCalls(1).build();
    open.onError(1, new IllegalStateException("down"));
    assertThat(open.state()).isEqualTo(CircuitBreaker.State.OPEN);
    StoreGuard refusing = new StoreGuard(executor, open, TIMEOUT, 10);
    java.util.concurrent.atomic.AtomicBoolean sent = new java.util.concurrent.atomic.AtomicBoolean();
    StoreGuard.Result r = refusing.awaitNonBlocking(() -> {
      sent.set(true);
      return CompletableFuture.completedFuture(OK);
    });
    assertThat(r).isEqualTo(new StoreGuard.Failed("circuit breaker open", true));
    assertThat(sent).isFalse();
  }
}
