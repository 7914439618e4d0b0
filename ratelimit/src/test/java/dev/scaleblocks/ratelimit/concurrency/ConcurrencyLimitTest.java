package dev.scaleblocks.ratelimit.concurrency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.testing.FakeTicker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The limit's arithmetic under a fake clock: windows of requests with chosen latencies. */
class ConcurrencyLimitTest {

  private final FakeTicker ticker = new FakeTicker();

  private ConcurrencyLimit limit(int initial) {
    return ConcurrencyLimit.builder("test").ticker(ticker).initialLimit(initial)
        .window(Duration.ofMillis(100)).windowSamples(10).build();
  }

  /**
   * One window: {@code concurrent} requests admitted together, each taking {@code latencyMillis},
   * repeated until the window has passed; answers how many were refused.
   */
  private int window(ConcurrencyLimit l, int concurrent, long latencyMillis) {
    int refused = 0;
    long elapsed = 0;
    while (elapsed < 100) {
      List<ConcurrencyLimit.Permit> held = new ArrayList<>();
      for (int i = 0; i < concurrent; i++) {
        ConcurrencyLimit.Permit p = l.tryAcquire();
        if (p == null) {
          refused++;
        } else {
          held.add(p);
        }
      }
      ticker.advanceMillis(latencyMillis);
      elapsed += latencyMillis;
      held.forEach(ConcurrencyLimit.Permit::release);
    }
    return refused;
  }

  @Test
  void growsWhileLatencyStaysAtItsNoLoadValueAndTheLimitIsUsed() {
    ConcurrencyLimit l = limit(10);
    for (int i = 0; i < 20; i++) {
      window(l, l.limit(), 5);
    }
    assertThat(l.limit()).isGreaterThan(25);
  }

  @Test
  void shrinksWhenLatencyRisesWithLoad() {
    ConcurrencyLimit l = limit(40);
    window(l, 40, 5); // no-load latency learnt: 5 ms
    for (int i = 0; i < 30; i++) {
      // a service with 8 workers: latency grows with what is admitted beyond them
      int admitted = l.limit();
      window(l, admitted, Math.max(5, 5L * admitted / 8));
    }
    assertThat(l.limit()).as("limit after overload").isBetween(8, 20);
  }

  @Test
  void aDroppedRequestCutsTheLimitToNinetyPercent() {
    ConcurrencyLimit l = limit(100);
    ConcurrencyLimit.Permit p = l.tryAcquire();
    ticker.advanceMillis(150);
    p.dropped();
    assertThat(l.limit()).isEqualTo(90);
  }

  @Test
  void windowsWithLittleInFlightLeaveTheLimitAlone() {
    ConcurrencyLimit l = limit(100);
    for (int i = 0; i < 20; i++) {
      window(l, 10, i % 2 == 0 ? 5 : 50); // latency swings, but 10 in flight of 100 says nothing
    }
    assertThat(l.limit()).isEqualTo(100);
  }

  @Test
  void refusesAtTheLimitAndPermitsAreReleasedOnce() {
    ConcurrencyLimit l = ConcurrencyLimit.builder("fixed").minLimit(2).maxLimit(2).initialLimit(2).build();
    ConcurrencyLimit.Permit a = l.tryAcquire();
    ConcurrencyLimit.Permit b = l.tryAcquire();
    assertThat(a).isNotNull();
    assertThat(b).isNotNull();
    assertThat(l.tryAcquire()).isNull();
    a.release();
    a.release();
    a.dropped();
    assertThat(l.inFlight()).isEqualTo(1);
    b.ignore();
    assertThat(l.inFlight()).isZero();
  }

  @Test
  void builderNamesTheBadArgument() {
    assertThatThrownBy(() -> ConcurrencyLimit.builder("x").maxLimit(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxLimit").hasMessageContaining("0");
    assertThatThrownBy(() -> ConcurrencyLimit.builder("x").window(Duration.ofSeconds(Long.MAX_VALUE)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("window");
    assertThatThrownBy(() -> ConcurrencyLimit.builder("x").minLimit(10).maxLimit(5).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minLimit").hasMessageContaining("10 > 5");
    assertThatThrownBy(() -> ConcurrencyLimit.builder("x").minLimit(1).minLimit(2))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("minLimit was already set to 1");
    assertThatThrownBy(() -> ConcurrencyLimit.builder(""))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("name");
  }

  @Test
  void ownsItsMeters() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    ConcurrencyLimit l = ConcurrencyLimit.builder("api").telemetry(Telemetry.of(registry)).initialLimit(7).build();
    assertThat(registry.get("scaleblocks.concurrency.limit").tag("name", "api").gauge().value()).isEqualTo(7.0);
    assertThatThrownBy(() -> ConcurrencyLimit.builder("api").telemetry(Telemetry.of(registry)).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("already registered");
    l.close();
    assertThat(registry.find("scaleblocks.concurrency.limit").gauges()).isEmpty();
    ConcurrencyLimit.builder("api").telemetry(Telemetry.of(registry)).build().close();
  }
}
