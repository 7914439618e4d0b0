package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class L1EntryTest {

  @Test
  void aNegativeEntryHasNoValueToHandOut() {
    L1Entry<String> negative = new L1Entry<>(null, 1, 0, 0, 0, 0);

    assertThat(negative.isNegative()).isTrue();
    assertThatThrownBy(negative::value)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("a negative cache entry has no value");
  }

  @Test
  void aPositiveEntryHandsOutItsValue() {
    assertThat(new L1Entry<>("v", 1, 0, 0, 0, 0).value()).isEqualTo("v");
  }
}
