package dev.scaleblocks.pooling;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LagTrackerTest {

  private static final long S = 1_000_000_000L;

  @Test
  void unknownUntilThePrimaryWasSampled() {
    LagTracker t = new LagTracker(8);
    assertThat(t.lagNanos(100, 0)).isEqualTo(LagTracker.UNKNOWN);
    t.record(0, 100);
    assertThat(t.lagNanos(-1, 0)).isEqualTo(LagTracker.UNKNOWN);
  }

  @Test
  void caughtUpReplicaHasNoLagEvenWhenThePrimaryIsIdleForLong() {
    LagTracker t = new LagTracker(8);
    t.record(0, 100);
    t.record(1 * S, 100);
    assertThat(t.lagNanos(100, 600 * S)).isZero();
  }

  @Test
  void lagIsTheAgeOfTheNewestSampleTheReplicaHasReplayed() {
    LagTracker t = new LagTracker(8);
    t.record(0, 100);
    t.record(1 * S, 200);
    t.record(2 * S, 300);
    t.record(3 * S, 400);
    assertThat(t.lagNanos(250, 3 * S)).isEqualTo(2 * S); // has what the primary had at t=1s
    assertThat(t.lagNanos(300, 4 * S)).isEqualTo(2 * S);
    assertThat(t.lagNanos(400, 4 * S)).isZero();
  }

  @Test
  void behindEverySampleMeansAtLeastTheOldestSampleAge() {
    LagTracker t = new LagTracker(2);
    t.record(0, 100);
    t.record(1 * S, 200);
    t.record(2 * S, 300); // overwrites the first
    assertThat(t.lagNanos(50, 10 * S)).isEqualTo(9 * S);
  }

  @Test
  void positionsCompareUnsigned() {
    LagTracker t = new LagTracker(4);
    t.record(0, 0x7FFF_FFFF_FFFF_FFFFL);
    t.record(1 * S, 0x8000_0000_0000_0010L);
    assertThat(t.lagNanos(0x8000_0000_0000_0000L, 2 * S)).isEqualTo(2 * S);
    assertThat(WriteToken.of(0x8000_0000_0000_0010L).isSatisfiedBy(0x7FFF_FFFF_FFFF_FFFFL)).isFalse();
  }
}
