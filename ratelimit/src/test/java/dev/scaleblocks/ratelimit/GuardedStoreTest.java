package dev.scaleblocks.ratelimit;

import static dev.scaleblocks.ratelimit.ScriptedStore.OK;
import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.breaker.CircuitBreaker;
import dev.scaleblocks.core.testing.FakeTicker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Whose fault a late answer is: one store thread, a scripted store whose keys hold it on a latch
 * either before or after "sending to Redis". Waiting for the thread is overload and never reaches
 * the breaker; a call that entered Redis and did not answer is a Redis failure and does. The
 * results are asserted, not the times (the timeout is short only so the test is quick).
 */
class GuardedStoreTest {

  private static final Duration TIMEOUT = Duration.ofMillis(50);

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final Counter redisCalls = registry.counter("redis.calls");
  private final CircuitBreaker breaker = CircuitBreaker.builder("guard")
      .telemetry(dev.scaleblocks.core.Telemetry.of(registry))
      .ticker(new FakeTicker()) // never half-opens by itself
      .build();
  private final ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 1, TimeUnit.MINUTES,
      new ArrayBlockingQueue<>(1));
  private final ScriptedStore store = new ScriptedStore();
  private final GuardedStore guard = guard(store, Integer.MAX_VALUE);
  private final ScriptedStore sending = new ScriptedStore(true);
  private final GuardedStore nonBlocking = guard(sending, Integer.MAX_VALUE);
  private final CountDownLatch release = new CountDownLatch(1);

  private GuardedStore guard(CounterStore s, int maxInFlight) {
    return new GuardedStore(s, executor, breaker, TIMEOUT, maxInFlight, redisCalls);
  }

  /**
   * The classes of a call are loaded, on a guard of their own, before any test measures against
   * the 50 ms timeout: on a loaded machine a cold first call could miss it by itself and read as a
   * busy store thread. Each test's own executor stays fresh (no thread until its first call).
   */
  @BeforeAll
  static void warmUp() {
    ThreadPoolExecutor e = new ThreadPoolExecutor(1, 1, 1, TimeUnit.MINUTES, new ArrayBlockingQueue<>(1));
    CircuitBreaker b = CircuitBreaker.builder("warm-up").ticker(new FakeTicker()).build();
    Counter c = new SimpleMeterRegistry().counter("c");
    Duration d = Duration.ofSeconds(10);
    try (GuardedStore g = new GuardedStore(new ScriptedStore(), e, b, d, 10, c);
        GuardedStore n = new GuardedStore(new ScriptedStore(true), e, b, d, 10, c)) {
      g.call("k", 1);
      g.callAsync("k", 1).join();
      n.call("k", 1);
      n.callAsync("k", 1).join();
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

  private ScriptedStore.Body holdingTheThread(boolean inRedis) {
    return progress -> {
      if (inRedis) {
        progress.enteringRedis();
      }
      release.await();
      return OK;
    };
  }

  @Test
  void waitingForABusyStoreThreadIsOverloadNotARedisFailure() {
    store.on("holder", holdingTheThread(false)) // busy locally, never reaches Redis
        .on("local", progress -> OK);
    CompletableFuture<GuardedStore.Result> holder = guard.callAsync("holder", 1);
    GuardedStore.Result queued = guard.call("redis", 1);
    assertThat(queued).isInstanceOf(GuardedStore.Overloaded.class);
    assertThat(((GuardedStore.Overloaded) queued).reason()).contains("no store thread free");
    // the abandoned call left the queue (capacity 1) when its caller gave up: this one is queued
    // in its place, not refused, and ends the same way
    GuardedStore.Result again = guard.call("local", 1);
    assertThat(again).isEqualTo(
        new GuardedStore.Overloaded("no store thread free within PT0.05S"));
    assertThat(executor.getQueue()).isEmpty();
    release.countDown();
    assertThat(holder.join()).isEqualTo(new GuardedStore.Answered(OK));
    assertThat(breakerCalls("failure")).as("nothing reported as a Redis failure").isZero();
    assertThat(breakerCalls("success")).as("the abandoned calls never ran").isZero();
    assertThat(store.calls).as("the abandoned calls never ran").hasValue(1);
    assertThat(redisCalls.count()).isZero();
  }

  @Test
  void aCallThatReachedRedisAndDidNotAnswerIsARedisFailure() {
    store.on("stuck", holdingTheThread(true)).on("local", progress -> OK);
    GuardedStore.Result stuck = guard.call("stuck", 1);
    assertThat(stuck).isEqualTo(new GuardedStore.Failed("no answer from Redis within PT0.05S", false));
    assertThat(breakerCalls("failure")).isEqualTo(1);
    // the store thread is still stuck in Redis: a call that cannot get it is blamed on Redis
    GuardedStore.Result queued = guard.callAsync("local", 1).join();
    assertThat(queued).isInstanceOf(GuardedStore.Failed.class);
    assertThat(((GuardedStore.Failed) queued).reason())
        .contains("while a Redis call has been waiting longer than PT0.05S");
    assertThat(breakerCalls("failure")).as("reported by the call that reached Redis only").isEqualTo(1);
    release.countDown();
  }

  @Test
  void answersAndErrorsFromRedisReachTheBreaker() {
    store.on("readonly", progress -> {
      progress.enteringRedis();
      throw new IllegalStateException("READONLY");
    }).on("memory", progress -> OK);
    assertThat(guard.call("redis", 1)).isEqualTo(new GuardedStore.Answered(OK));
    GuardedStore.Result failed = guard.callAsync("readonly", 1).join();
    assertThat(failed).isEqualTo(
        new GuardedStore.Failed("java.lang.IllegalStateException: READONLY", false));
    // a store answering from memory (a lease another thread just took) reports nothing
    assertThat(guard.call("memory", 1)).isEqualTo(new GuardedStore.Answered(OK));
    assertThat(breakerCalls("success")).isEqualTo(1);
    assertThat(breakerCalls("failure")).isEqualTo(1);
    assertThat(redisCalls.count()).as("calls that reached Redis").isEqualTo(2);
  }

  @Test
  void aLocalWaitInsideTheStoreIsOverload() {
    store.on("locked", progress -> {
      throw new CounterStore.LocalWaitTimeout("another lease of this key is still being taken");
    });
    GuardedStore.Result r = guard.call("locked", 1);
    assertThat(r).isEqualTo(
        new GuardedStore.Overloaded("another lease of this key is still being taken"));
    assertThat(breakerCalls("failure")).isZero();
  }

  @Test
  void anInterruptedCallerGivesUpAndItsQueuedCallNeverRuns() throws Exception {
    store.on("holder", holdingTheThread(false));
    CompletableFuture<GuardedStore.Result> holder = guard.callAsync("holder", 1);
    Thread.currentThread().interrupt();
    GuardedStore.Result r = guard.call("redis", 1);
    assertThat(Thread.interrupted()).as("the interrupt is kept").isTrue();
    assertThat(r).isEqualTo(new GuardedStore.Overloaded("interrupted while waiting for the store"));
    release.countDown();
    holder.join();
    executor.shutdown();
    assertThat(executor.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    assertThat(store.calls).as("the abandoned call never ran").hasValue(1);
    assertThat(breakerCalls("failure")).isZero();
  }

  // ---- a store that does not block: the call is sent from the caller's thread

  @Test
  void aNonBlockingCallIsAnsweredWithoutAStoreThreadAndReportedOnce() {
    long tasks = executor.getTaskCount();
    CompletableFuture<StoreAnswer> answer = new CompletableFuture<>();
    sending.onSend("pending", () -> answer);
    CompletableFuture<GuardedStore.Result> r = nonBlocking.callAsync("pending", 1);
    assertThat(r).isNotDone();
    assertThat(executor.getTaskCount()).as("no hand-off to a store thread").isEqualTo(tasks);
    answer.complete(OK);
    assertThat(r).isCompletedWithValue(new GuardedStore.Answered(OK));
    assertThat(breakerCalls("success")).isEqualTo(1);
    assertThat(nonBlocking.call("k", 1)).isEqualTo(new GuardedStore.Answered(OK));
    assertThat(breakerCalls("success")).isEqualTo(2);
    assertThat(redisCalls.count()).isEqualTo(2);
    assertThat(executor.getTaskCount()).isEqualTo(tasks);
  }

  @Test
  void aNonBlockingCallWithoutAnAnswerFailsAtTheTimeoutAndItsLateAnswerIsDropped() {
    CompletableFuture<StoreAnswer> never = new CompletableFuture<>();
    CompletableFuture<StoreAnswer> late = new CompletableFuture<>();
    sending.onSend("never", () -> never).onSend("late", () -> late);
    GuardedStore.Result waited = nonBlocking.call("never", 1);
    assertThat(waited).isEqualTo(new GuardedStore.Failed("no answer from Redis within PT0.05S", false));
    GuardedStore.Result timedOut = nonBlocking.callAsync("late", 1).join();
    assertThat(timedOut).isEqualTo(new GuardedStore.Failed("no answer from Redis within PT0.05S", false));
    assertThat(breakerCalls("failure")).isEqualTo(2);
    late.complete(OK); // the caller decided without it: not reported again, not decided twice
    never.completeExceptionally(new IllegalStateException("late error"));
    assertThat(breakerCalls("failure")).isEqualTo(2);
    assertThat(breakerCalls("success")).isZero();
  }

  @Test
  void aNonBlockingErrorIsARedisFailureAndAThrowingSendToo() {
    sending.onSend("readonly", () -> CompletableFuture.failedFuture(
            new java.util.concurrent.CompletionException(new IllegalStateException("READONLY"))))
        .onSend("closed", () -> {
          throw new IllegalStateException("connection closed");
        });
    GuardedStore.Result failed = nonBlocking.callAsync("readonly", 1).join();
    assertThat(failed).isEqualTo(
        new GuardedStore.Failed("java.lang.IllegalStateException: READONLY", false));
    GuardedStore.Result thrown = nonBlocking.call("closed", 1);
    assertThat(thrown).isEqualTo(
        new GuardedStore.Failed("java.lang.IllegalStateException: connection closed", false));
    assertThat(breakerCalls("failure")).isEqualTo(2);
  }

  @Test
  void aCallTheClientRefusedToQueueIsOverloadNotARedisFailure() {
    // the coalescing Jedis backend refuses a call when its node's queue is full: never sent
    sending.onSend("full", () -> CompletableFuture.failedFuture(new CompletionException(
            new RejectedExecutionException("redis command queue for standalone is full"))))
        .onSend("bare", () -> CompletableFuture.failedFuture(
            new RejectedExecutionException("redis command queue for standalone is full")));
    assertThat(nonBlocking.callAsync("full", 1).join())
        .isEqualTo(new GuardedStore.Overloaded("redis client queue full"));
    assertThat(nonBlocking.call("bare", 1))
        .isEqualTo(new GuardedStore.Overloaded("redis client queue full"));
    assertThat(breakerCalls("failure")).as("a busy client is not a sick Redis").isZero();
    assertThat(breakerCalls("success")).isZero();
  }

  @Test
  void tooManyNonBlockingCallsInFlightIsOverloadUnlessOneIsStuckInRedis() {
    GuardedStore small = guard(sending, 1);
    CompletableFuture<StoreAnswer> first = new CompletableFuture<>();
    sending.onSend("first", () -> first);
    CompletableFuture<GuardedStore.Result> inFlight = small.callAsync("first", 1);
    GuardedStore.Result refused = small.callAsync("k", 1).join();
    assertThat(refused).isEqualTo(new GuardedStore.Overloaded("more than 1 store calls in flight"));
    assertThat(breakerCalls("failure")).as("a busy client is not a sick Redis").isZero();
    // the first call outlives the timeout: now a refusal is blamed on Redis
    assertThat(inFlight.join()).isInstanceOf(GuardedStore.Failed.class);
    GuardedStore.Result stuck = small.call("k", 1);
    assertThat(stuck).isInstanceOf(GuardedStore.Failed.class);
    assertThat(((GuardedStore.Failed) stuck).reason())
        .isEqualTo("more than 1 store calls in flight while a Redis call has been waiting longer than PT0.05S");
    first.complete(OK); // answered at last: its place is free again
    assertThat(small.call("k", 1)).isEqualTo(new GuardedStore.Answered(OK));
  }

  @Test
  void anOpenBreakerRefusesACallWithoutSendingIt() {
    CircuitBreaker open = CircuitBreaker.builder("open").ticker(new FakeTicker())
        .slidingWindowSize(1).minimumNumberOfCalls(1).build();
    open.onError(1, new IllegalStateException("down"));
    assertThat(open.state()).isEqualTo(CircuitBreaker.State.OPEN);
    AtomicBoolean sent = new AtomicBoolean();
    sending.onSend("k", () -> {
      sent.set(true);
      return CompletableFuture.completedFuture(OK);
    });
    GuardedStore refusing = new GuardedStore(sending, executor, open, TIMEOUT, 10, redisCalls);
    assertThat(refusing.call("k", 1)).isEqualTo(new GuardedStore.Failed("circuit breaker open", true));
    assertThat(sent).isFalse();
    GuardedStore refusingBlocking = new GuardedStore(store, executor, open, TIMEOUT, 10, redisCalls);
    assertThat(refusingBlocking.callAsync("k", 1).join())
        .isEqualTo(new GuardedStore.Failed("circuit breaker open", true));
    assertThat(store.calls).hasValue(0);
  }

  @Test
  void anAnswerFromMemoryPassesNoGuard() {
    CounterStore leased = new ScriptedStore() {
      @Override
      public StoreAnswer answerFromMemory(String key, long permits) {
        return OK;
      }
    };
    GuardedStore g = guard(leased, 1);
    assertThat(g.answerFromMemory("k", 1)).isEqualTo(OK);
    assertThat(executor.getTaskCount()).isZero();
    assertThat(breakerCalls("success") + breakerCalls("failure")).isZero();
  }
}
