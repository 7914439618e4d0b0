package dev.scaleblocks.core.breaker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.breaker.CircuitBreaker.State;
import dev.scaleblocks.core.breaker.CircuitBreaker.Transition;
import dev.scaleblocks.core.testing.FakeTicker;
import dev.scaleblocks.core.testing.SetOnceOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {

  private static final long FAST = Duration.ofMillis(2).toNanos();
  private static final long SLOW = Duration.ofMillis(600).toNanos();

  private final FakeTicker ticker = new FakeTicker();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<Transition> transitions = new ArrayList<>();
  private CircuitBreaker breaker;

  @BeforeEach
  void setUp() {
    breaker =
        CircuitBreaker.builder("redis")
            .failureRateThreshold(50)
            .slowCallRateThreshold(80)
            .slowCallDuration(Duration.ofMillis(500))
            .slidingWindowSize(10)
            .minimumNumberOfCalls(4)
            .waitDurationInOpenState(Duration.ofSeconds(5))
            .permittedCallsInHalfOpenState(2)
            .ticker(ticker)
            .telemetry(Telemetry.of(registry))
            .build();
    breaker.onStateTransition(transitions::add);
  }

  private void succeed(int n, long nanos) {
    for (int i = 0; i < n; i++) {
      assertThat(breaker.tryAcquirePermission()).isTrue();
      breaker.onSuccess(nanos);
    }
  }

  private void fail(int n) {
    for (int i = 0; i < n; i++) {
      assertThat(breaker.tryAcquirePermission()).isTrue();
      breaker.onError(FAST, new IOException("boom"));
    }
  }

  private double gauge(State state) {
    return registry.get("scaleblocks.breaker.state").tag("state", state.name().toLowerCase())
        .gauge().value();
  }

  private double transitionsCount(String from, String to) {
    return registry.get("scaleblocks.breaker.transitions").tag("from", from).tag("to", to)
        .counter().count();
  }

  @Test
  void staysClosedBelowTheMinimumNumberOfCalls() {
    fail(3);
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
    assertThat(breaker.failureRate()).isEqualTo(-1);
  }

  @Test
  void opensAtTheFailureRateThreshold() {
    succeed(2, FAST);
    fail(1);
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
    fail(1); // 2 of 4 = 50%
    assertThat(breaker.state()).isEqualTo(State.OPEN);
    assertThat(transitions).extracting(Transition::to).containsExactly(State.OPEN);
    assertThat(gauge(State.OPEN)).isEqualTo(1);
    assertThat(gauge(State.CLOSED)).isEqualTo(0);
    assertThat(transitionsCount("closed", "open")).isEqualTo(1);
  }

  @Test
  void opensAtTheSlowCallRateThreshold() {
    succeed(1, FAST);
    succeed(3, SLOW); // 75% slow: below 80
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
    succeed(1, SLOW); // 4 of 5 = 80%
    assertThat(breaker.state()).isEqualTo(State.OPEN);
    assertThat(registry.get("scaleblocks.breaker.calls").tag("outcome", "slow").counter().count())
        .isEqualTo(4);
  }

  @Test
  void theWindowSlidesOldOutcomesOut() {
    fail(1);
    succeed(9, FAST); // 1/10 failures
    succeed(1, FAST); // the failure slides out
    fail(4); // 4/10
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
    fail(1); // 5/10
    assertThat(breaker.state()).isEqualTo(State.OPEN);
  }

  @Test
  void openRejectsUntilTheWaitHasPassedThenTurnsHalfOpen() {
    fail(4);
    assertThat(breaker.state()).isEqualTo(State.OPEN);
    ticker.advance(Duration.ofMillis(4_999));
    assertThat(breaker.tryAcquirePermission()).isFalse();
    assertThatThrownBy(() -> breaker.call(() -> "x"))
        .isInstanceOf(CallNotPermittedException.class)
        .hasMessage("circuit breaker redis is open and does not permit calls");
    assertThat(registry.get("scaleblocks.breaker.calls").tag("outcome", "not_permitted")
        .counter().count()).isEqualTo(2);

    ticker.advanceMillis(1);
    assertThat(breaker.tryAcquirePermission()).isTrue();
    assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
    assertThat(breaker.tryAcquirePermission()).isTrue();
    assertThat(breaker.tryAcquirePermission()).as("only two trial calls").isFalse();
  }

  @Test
  void halfOpenClosesWhenTrialCallsSucceed() {
    fail(4);
    ticker.advanceSeconds(5);
    succeed(2, FAST);
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
    assertThat(transitions).extracting(Transition::to)
        .containsExactly(State.OPEN, State.HALF_OPEN, State.CLOSED);
    // a fresh window: three failures alone do not reopen it
    fail(3);
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
    assertThat(transitionsCount("half_open", "closed")).isEqualTo(1);
  }

  @Test
  void halfOpenReopensWhenTrialCallsFail() {
    fail(4);
    ticker.advanceSeconds(5);
    succeed(1, FAST);
    fail(1); // 50% of trials
    assertThat(breaker.state()).isEqualTo(State.OPEN);
    assertThat(transitionsCount("half_open", "open")).isEqualTo(1);
    assertThat(breaker.tryAcquirePermission()).isFalse();
    ticker.advanceSeconds(5);
    assertThat(breaker.tryAcquirePermission()).isTrue();
    assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
  }

  @Test
  void halfOpenReopensWhenTrialCallsAreSlow() {
    fail(4);
    ticker.advanceSeconds(5);
    succeed(2, SLOW);
    assertThat(breaker.state()).isEqualTo(State.OPEN);
  }

  @Test
  void trialCallsThatNeverReportDoNotWedgeTheBreaker() {
    fail(4);
    ticker.advanceSeconds(5);
    assertThat(breaker.tryAcquirePermission()).isTrue();
    assertThat(breaker.tryAcquirePermission()).isTrue();
    assertThat(breaker.tryAcquirePermission()).isFalse();
    ticker.advanceSeconds(5);
    assertThat(breaker.tryAcquirePermission()).as("a new round of trial calls").isTrue();
    breaker.onSuccess(FAST);
    assertThat(breaker.tryAcquirePermission()).isTrue();
    breaker.onSuccess(FAST);
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
  }

  @Test
  void outcomesReportedWhileOpenAreIgnored() {
    assertThat(breaker.tryAcquirePermission()).isTrue(); // a call starts while closed
    fail(4);
    breaker.onSuccess(FAST); // and reports after the breaker opened
    ticker.advanceSeconds(5);
    assertThat(breaker.tryAcquirePermission()).isTrue();
    assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
  }

  @Test
  void callRecordsOutcomesAndRethrows() throws Exception {
    assertThat(breaker.call(() -> "ok")).isEqualTo("ok");
    for (int i = 0; i < 3; i++) {
      assertThatThrownBy(() -> breaker.call(() -> {
        throw new IOException("down");
      })).isInstanceOf(IOException.class).hasMessage("down");
    }
    assertThat(breaker.state()).isEqualTo(State.OPEN); // 3 of 4 failed
    assertThatThrownBy(() -> breaker.call(() -> "never called"))
        .isInstanceOf(CallNotPermittedException.class);
    assertThat(registry.get("scaleblocks.breaker.calls").tag("outcome", "failure").counter().count())
        .isEqualTo(3);
    assertThat(registry.get("scaleblocks.breaker.calls").tag("outcome", "success").counter().count())
        .isEqualTo(1);
  }

  @Test
  void resetClosesAndClearsTheWindow() {
    fail(4);
    breaker.reset();
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
    fail(3);
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
  }

  @Test
  void listenerFailuresDoNotBreakTransitions() {
    breaker.onStateTransition(t -> {
      throw new IllegalStateException("listener bug");
    });
    fail(4);
    assertThat(breaker.state()).isEqualTo(State.OPEN);
    assertThat(transitions).hasSize(1);
  }

  @Test
  void aBlockedListenerDoesNotStopOtherCallers() throws Exception {
    CountDownLatch inListener = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    breaker.onStateTransition(t -> {
      if (t.to() == State.OPEN) {
        inListener.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    });
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<?> opener = pool.submit(() -> fail(4)); // opens the breaker, then blocks in the listener
      assertThat(inListener.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(breaker.state()).isEqualTo(State.OPEN);

      // every other entry point still answers while that listener is stuck
      Future<State> other = pool.submit(() -> {
        assertThat(breaker.tryAcquirePermission()).isFalse();
        assertThat(breaker.failureRate()).isEqualTo(100.0);
        ticker.advanceSeconds(5);
        assertThat(breaker.tryAcquirePermission()).isTrue(); // half-open: a transition of its own
        breaker.onSuccess(FAST);
        assertThat(breaker.tryAcquirePermission()).isTrue();
        breaker.onSuccess(FAST);
        breaker.reset();
        return breaker.state();
      });
      assertThat(other.get(10, TimeUnit.SECONDS)).isEqualTo(State.CLOSED);
      assertThat(transitions).as("later transitions wait for the stuck listener, in order")
          .extracting(Transition::to).containsExactly(State.OPEN);

      release.countDown();
      opener.get(10, TimeUnit.SECONDS);
      assertThat(transitions).extracting(Transition::to)
          .containsExactly(State.OPEN, State.HALF_OPEN, State.CLOSED);
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void listenersRunAfterTheStateChangeAndOutsideTheLock() {
    List<String> seen = new ArrayList<>();
    breaker.onStateTransition(t -> {
      // the new state is visible, the lock is free for another thread, and the breaker can be
      // called back from a listener (the nested transition is delivered after this one)
      String rate;
      try {
        rate = String.valueOf(
            CompletableFuture.supplyAsync(breaker::failureRate).get(10, TimeUnit.SECONDS));
      } catch (Exception e) {
        rate = e.getClass().getSimpleName();
      }
      seen.add(t.to() + "/" + breaker.state() + "/" + rate);
      if (t.to() == State.OPEN) {
        breaker.reset();
      }
    });
    fail(4);
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
    assertThat(seen).containsExactly("OPEN/OPEN/100.0", "CLOSED/CLOSED/-1.0");
    assertThat(transitions).extracting(Transition::to).containsExactly(State.OPEN, State.CLOSED);
  }

  @Test
  void aThrowingListenerBreaksNeitherTheBreakerNorOtherListeners() {
    breaker.onStateTransition(t -> {
      throw new IllegalStateException("listener bug");
    });
    List<Transition> after = new ArrayList<>();
    breaker.onStateTransition(after::add);
    fail(4);
    ticker.advanceSeconds(5);
    succeed(2, FAST);
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
    assertThat(after).extracting(Transition::to)
        .containsExactly(State.OPEN, State.HALF_OPEN, State.CLOSED);
    fail(4);
    assertThat(breaker.state()).isEqualTo(State.OPEN);
  }

  @Test
  void aFlappingBreakerLogsOneLinePerStatePerInterval() {
    CircuitBreaker flappy = CircuitBreaker.builder("flappy").slidingWindowSize(4)
        .minimumNumberOfCalls(4).waitDurationInOpenState(Duration.ofMillis(1))
        .permittedCallsInHalfOpenState(1).ticker(ticker).telemetry(Telemetry.of(registry)).build();
    List<String> lines = captureLog(() -> {
      for (int i = 0; i < 100; i++) { // 100 open/half-open/closed cycles in one second
        for (int j = 0; j < 4; j++) {
          assertThat(flappy.tryAcquirePermission()).isTrue();
          flappy.onError(FAST, new IOException("boom"));
        }
        ticker.advanceMillis(5);
        assertThat(flappy.tryAcquirePermission()).isTrue();
        flappy.onSuccess(FAST);
        ticker.advanceMillis(5);
      }
    });
    System.out.println("flapping breaker, 300 transitions in 1 s: " + lines.size() + " log lines");
    assertThat(flappy.state()).isEqualTo(State.CLOSED);
    assertThat(registry.get("scaleblocks.breaker.transitions").tag("name", "flappy")
        .tag("from", "closed").tag("to", "open").counter().count()).isEqualTo(100);
    assertThat(lines).filteredOn(l -> l.contains("WARN")).hasSize(1);
    assertThat(lines).hasSize(3);

    ticker.advanceSeconds(CircuitBreaker.LOG_INTERVAL_SECONDS);
    List<String> later = captureLog(() -> {
      for (int j = 0; j < 4; j++) {
        assertThat(flappy.tryAcquirePermission()).isTrue();
        flappy.onError(FAST, new IOException("boom"));
      }
    });
    assertThat(later).singleElement().asString().contains("WARN")
        .contains("circuit breaker flappy opened: failure rate 100.0%")
        .contains("(99 more transitions to open since the last such line, 11.0 s ago)");
  }

  /** The lines slf4j-simple (the test logger, writing to System.err) printed for {@code body}. */
  private static List<String> captureLog(Runnable body) {
    java.io.PrintStream original = System.err;
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      body.run();
    } finally {
      System.setErr(original);
    }
    return out.toString(java.nio.charset.StandardCharsets.UTF_8).lines()
        .filter(l -> l.contains("circuit breaker ")).toList();
  }

  @Test
  void durationsBeyondOneHundredYearsAreRefusedNamingTheSetting() {
    assertThatThrownBy(() -> CircuitBreaker.builder("b")
            .waitDurationInOpenState(Duration.ofSeconds(Long.MAX_VALUE)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("waitDurationInOpenState must be at most PT876000H but was PT2562047788015215H30M7S");
    assertThatThrownBy(() -> CircuitBreaker.builder("b").slowCallDuration(Duration.ofSeconds(Long.MAX_VALUE)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("slowCallDuration must be at most PT876000H but was PT2562047788015215H30M7S");
    assertThatThrownBy(() -> CircuitBreaker.builder("b").waitDurationInOpenState(null))
        .isInstanceOf(NullPointerException.class).hasMessage("waitDurationInOpenState must not be null");

    // the largest accepted wait neither overflows nor ends early
    CircuitBreaker patient = CircuitBreaker.builder("patient").minimumNumberOfCalls(1)
        .waitDurationInOpenState(Duration.ofDays(36_500)).slowCallDuration(Duration.ofDays(36_500))
        .ticker(ticker).build();
    assertThat(patient.tryAcquirePermission()).isTrue();
    patient.onError(Long.MAX_VALUE, new IOException("down"));
    assertThat(patient.state()).isEqualTo(State.OPEN);
    ticker.advance(Duration.ofDays(36_499));
    assertThat(patient.tryAcquirePermission()).isFalse();
    ticker.advance(Duration.ofDays(1));
    assertThat(patient.tryAcquirePermission()).isTrue();
  }

  @Test
  void ownsItsMetersAndRefusesASecondBreakerOfTheSameNameOnOneRegistry() {
    SimpleMeterRegistry shared = new SimpleMeterRegistry();
    CircuitBreaker first = CircuitBreaker.builder("orders").telemetry(Telemetry.of(shared)).build();
    assertThat(shared.find("scaleblocks.breaker.state").tag("name", "orders").gauges()).hasSize(3);
    assertThat(shared.find("scaleblocks.breaker.transitions").tag("name", "orders").counters()).hasSize(6);
    assertThat(shared.find("scaleblocks.breaker.calls").tag("name", "orders").counters()).hasSize(4);

    assertThatThrownBy(() -> CircuitBreaker.builder("orders").telemetry(Telemetry.of(shared)).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("circuit breaker named 'orders' is already registered on this meter registry;"
            + " close it first or choose another name");
    assertThat(shared.find("scaleblocks.breaker.state").tag("name", "orders").gauges())
        .as("the refused breaker left the first one's meters alone").hasSize(3);

    // another name, another registry, or no telemetry at all: no conflict
    CircuitBreaker other = CircuitBreaker.builder("payments").telemetry(Telemetry.of(shared)).build();
    CircuitBreaker elsewhere = CircuitBreaker.builder("orders").telemetry(Telemetry.of(new SimpleMeterRegistry())).build();
    CircuitBreaker quiet1 = CircuitBreaker.builder("orders").build();
    CircuitBreaker quiet2 = CircuitBreaker.builder("orders").telemetry(Telemetry.none()).build();

    first.close();
    first.close(); // idempotent
    assertThat(shared.getMeters()).allSatisfy(m -> assertThat(m.getId().getTag("name")).isEqualTo("payments"));
    assertThat(first.tryAcquirePermission()).as("a closed breaker still answers").isTrue();

    CircuitBreaker again = CircuitBreaker.builder("orders").telemetry(Telemetry.of(shared)).build();
    assertThat(again.tryAcquirePermission()).isTrue();
    again.onSuccess(FAST);
    assertThat(shared.get("scaleblocks.breaker.calls").tag("name", "orders").tag("outcome", "success")
        .counter().count()).isEqualTo(1);
    for (CircuitBreaker b : List.of(again, other, elsewhere, quiet1, quiet2)) {
      b.close();
    }
    assertThat(shared.getMeters()).isEmpty();
  }

  @Test
  void concurrentReportsKeepExactCounts() throws Exception {
    CircuitBreaker wide = CircuitBreaker.builder("wide").slidingWindowSize(1000)
        .minimumNumberOfCalls(1000).failureRateThreshold(100).ticker(ticker)
        .telemetry(Telemetry.of(registry)).build();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    CountDownLatch start = new CountDownLatch(1);
    AtomicInteger permitted = new AtomicInteger();
    for (int t = 0; t < 4; t++) {
      pool.execute(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < 250; i++) {
          if (wide.tryAcquirePermission()) {
            permitted.incrementAndGet();
            if (i % 2 == 0) {
              wide.onSuccess(FAST);
            } else {
              wide.onError(FAST, new IOException());
            }
          }
        }
      });
    }
    start.countDown();
    pool.shutdown();
    assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    assertThat(permitted.get()).isEqualTo(1000);
    assertThat(wide.failureRate()).isEqualTo(50.0);
    assertThat(wide.state()).isEqualTo(State.CLOSED);
  }

  @Test
  void rejectsBadSettingsNamingThem() {
    assertThatThrownBy(() -> CircuitBreaker.builder(""))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("name must not be empty");
    assertThatThrownBy(() -> CircuitBreaker.builder("b").failureRateThreshold(0))
        .hasMessage("failureRateThreshold must be in (0, 100] but was 0.0");
    assertThatThrownBy(() -> CircuitBreaker.builder("b").failureRateThreshold(Double.NaN))
        .hasMessage("failureRateThreshold must be in (0, 100] but was NaN");
    assertThatThrownBy(() -> CircuitBreaker.builder("b").slidingWindowSize(-1))
        .hasMessage("slidingWindowSize must be in [1, 1000000] but was -1");
    assertThatThrownBy(() -> CircuitBreaker.builder("b").slidingWindowSize(Integer.MAX_VALUE))
        .hasMessage("slidingWindowSize must be in [1, 1000000] but was 2147483647");
    assertThatThrownBy(() -> CircuitBreaker.builder("b").slidingWindowSize(5).slidingWindowSize(6))
        .isInstanceOf(IllegalStateException.class).hasMessage("slidingWindowSize was already set to 5");
    assertThatThrownBy(() -> CircuitBreaker.builder("b").waitDurationInOpenState(Duration.ZERO))
        .hasMessage("waitDurationInOpenState must be positive but was PT0S");
    assertThatThrownBy(() -> CircuitBreaker.builder("b").slowCallDuration(Duration.ofMillis(-5)))
        .hasMessage("slowCallDuration must be positive but was PT-0.005S");
    assertThatThrownBy(() -> CircuitBreaker.builder("b").ticker(null))
        .isInstanceOf(NullPointerException.class).hasMessage("ticker must not be null");
  }

  @Test
  void refusesEachOptionSetTwice() {
    SetOnceOptions.of(CircuitBreaker.Builder.class, () -> CircuitBreaker.builder("b"))
        .option("failureRateThreshold", b -> b.failureRateThreshold(50),
            "failureRateThreshold was already set to 50.0")
        .option("slowCallRateThreshold", b -> b.slowCallRateThreshold(80),
            "slowCallRateThreshold was already set to 80.0")
        .option("slowCallDuration", b -> b.slowCallDuration(Duration.ofMillis(500)),
            "slowCallDuration was already set to PT0.5S")
        .option("slidingWindowSize", b -> b.slidingWindowSize(10),
            "slidingWindowSize was already set to 10")
        .option("minimumNumberOfCalls", b -> b.minimumNumberOfCalls(5),
            "minimumNumberOfCalls was already set to 5")
        .option("waitDurationInOpenState", b -> b.waitDurationInOpenState(Duration.ofSeconds(1)),
            "waitDurationInOpenState was already set to PT1S")
        .option("permittedCallsInHalfOpenState", b -> b.permittedCallsInHalfOpenState(2),
            "permittedCallsInHalfOpenState was already set to 2")
        .option("ticker", b -> b.ticker(ticker), "ticker was already set")
        .option("telemetry", b -> b.telemetry(Telemetry.none()), "telemetry was already set")
        .verify();
  }
}
