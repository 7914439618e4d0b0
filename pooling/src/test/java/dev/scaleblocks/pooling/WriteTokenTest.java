package dev.scaleblocks.pooling;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WriteTokenTest {

  @Test
  void printsAsAPostgresLsnAndCompares() {
    WriteToken t = WriteToken.of((0x16L << 32) | 0xB374D848L);
    assertThat(t).hasToString("16/B374D848");
    assertThat(t.isSatisfiedBy(t.position())).isTrue();
    assertThat(t.isSatisfiedBy(t.position() - 1)).isFalse();
    assertThat(t.max(WriteToken.of(5))).isSameAs(t);
    assertThat(WriteToken.of(0)).isSameAs(WriteToken.NONE);
    assertThat(WriteToken.of(42)).isEqualTo(WriteToken.of(42)).hasSameHashCodeAs(WriteToken.of(42));
  }
}
