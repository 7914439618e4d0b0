package dev.scaleblocks.pooling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PoolSizingTest {

  @Test
  void wikiFormulaWorkedExample() {
    // HikariCP wiki: a 4-core i7 server with one hard disk -> 4 * 2 + 1 = 9 (~10)
    PoolSizing.Estimate e = PoolSizing.hikariFormula(4, 1);
    assertThat(e.size()).isEqualTo(9);
    assertThat(e.explanation()).isEqualTo("HikariCP wiki formula: 4 cores × 2 + 1 effective spindles = 9");
    assertThat(PoolSizing.hikariFormula(16, 0).size()).isEqualTo(32);
  }

  @Test
  void littlesLawWorkedExample() {
    // 2000 req/s, each holding a connection 5 ms -> 10 busy on average; +20% -> 12
    PoolSizing.Estimate e = PoolSizing.littlesLaw(2000, Duration.ofMillis(5), 1.2);
    assertThat(e.size()).isEqualTo(12);
    assertThat(e.explanation())
        .isEqualTo("Little's law: 2000 req/s × 5 ms = 10 busy connections on average, × 1.20 headroom = 12");
    assertThat(PoolSizing.littlesLaw(300, Duration.ofMillis(20), 1.0).size()).isEqualTo(6);
    assertThat(PoolSizing.littlesLaw(1, Duration.ofMillis(1), 1.0).size()).isEqualTo(1);
  }

  @Test
  void deadlockFloorWorkedExample() {
    // HikariCP wiki: 8 threads each needing 3 connections at once -> 8 * (3 - 1) + 1 = 17
    PoolSizing.Estimate e = PoolSizing.deadlockFloor(8, 3);
    assertThat(e.size()).isEqualTo(17);
    assertThat(PoolSizing.deadlockFloor(8, 1).size()).isEqualTo(1);
    assertThat(PoolSizing.hikariFormula(4, 1).atLeast(e).size()).isEqualTo(17);
    assertThat(PoolSizing.hikariFormula(4, 1).atLeast(e).explanation()).contains("deadlock floor", "wiki formula");
  }

  @Test
  void budgetAcrossInstances() {
    // 100 max_connections, 3 superuser slots + 7 for migrations/consoles reserved -> 90 usable
    PoolSizing.Budget ok = PoolSizing.budget(6, 15, 100, 10);
    assertThat(ok.fits()).isTrue();
    assertThat(ok.requested()).isEqualTo(90);
    assertThat(ok.usable()).isEqualTo(90);
    PoolSizing.Budget over = PoolSizing.budget(8, 15, 100, 10);
    assertThat(over.fits()).isFalse();
    assertThat(over.maxPoolSizePerInstance()).isEqualTo(11);
    assertThat(over.explanation())
        .isEqualTo("8 instances × 15 connections = 120 > 90 usable (100 max_connections − 10 reserve); at most 11 per instance fit");
  }

  @Test
  void badInputsAreNamed() {
    assertThatThrownBy(() -> PoolSizing.hikariFormula(0, 1)).hasMessage("serverCores must be positive but was 0");
    assertThatThrownBy(() -> PoolSizing.hikariFormula(4, -1)).hasMessage("effectiveSpindles must not be negative but was -1");
    assertThatThrownBy(() -> PoolSizing.littlesLaw(100, Duration.ZERO, 1.2)).hasMessage("meanHoldTime must be positive but was PT0S");
    assertThatThrownBy(() -> PoolSizing.littlesLaw(100, Duration.ofMillis(1), 0.5)).hasMessage("headroom must be in [1.0, 100.0] but was 0.5");
    assertThatThrownBy(() -> PoolSizing.budget(1, 10, 100, 100)).hasMessage("reserve must be below maxConnections but was 100 >= 100");
    assertThatThrownBy(() -> PoolSizing.deadlockFloor(0, 2)).hasMessage("threads must be positive but was 0");
  }

  @Test
  void estimatesNoServerCouldHoldAreRefusedNamingTheInputs() {
    assertThatThrownBy(() -> PoolSizing.littlesLaw(1e300, Duration.ofMillis(5), 1.2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "requestsPerSecond × meanHoldTime × headroom must be at most 100000 connections but was 1.0E300 req/s × PT0.005S × 1.2 = 6.000e+297");
    assertThatThrownBy(() -> PoolSizing.littlesLaw(100, Duration.ofSeconds(Long.MAX_VALUE), 1.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("meanHoldTime must be at most");
    assertThatThrownBy(() -> PoolSizing.hikariFormula(Integer.MAX_VALUE, Integer.MAX_VALUE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("serverCores × 2 + effectiveSpindles must be at most 100000 connections");
    assertThat(PoolSizing.littlesLaw(100_000, Duration.ofSeconds(1), 1.0).size()).isEqualTo(PoolSizing.MAX_ESTIMATE);
  }
}
