package dev.scaleblocks.core.breaker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.breaker.CircuitBreaker.State;
import dev.scaleblocks.core.breaker.CircuitBreaker.Transition;
import dev.scaleblocks.core.testing.FakeTicker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
        .hasMessage("slidingWindowSize must be positive but was -1");
    assertThatThrownBy(() -> CircuitBreaker.builder("b").waitDurationInOpenState(Duration.ZERO))
        .hasMessage("waitDurationInOpenState must be positive but was PT0S");
    assertThatThrownBy(() -> CircuitBreaker.builder("b").slowCallDuration(Duration.ofMillis(-5)))
        .hasMessage("slowCallDuration must be positive but was PT-0.005S");
    assertThatThrownBy(() -> CircuitBreaker.builder("b").ticker(null))
        .isInstanceOf(NullPointerException.class).hasMessage("ticker must not be null");
  }
}
