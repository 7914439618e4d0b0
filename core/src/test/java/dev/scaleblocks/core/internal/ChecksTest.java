package dev.scaleblocks.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChecksTest {

  @Test
  void messagesNameTheParameterAndTheValue() {
    assertThatThrownBy(() -> Checks.requireNonNull(null, "key"))
        .isInstanceOf(NullPointerException.class).hasMessage("key must not be null");
    assertThatThrownBy(() -> Checks.requirePositive(-3, "capacity"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("capacity must be positive but was -3");
    assertThatThrownBy(() -> Checks.requirePositive(0L, "quota"))
        .hasMessage("quota must be positive but was 0");
    assertThatThrownBy(() -> Checks.requirePositive(Double.NaN, "weight"))
        .hasMessage("weight must be positive and finite but was NaN");
    assertThatThrownBy(() -> Checks.requirePositive(Double.POSITIVE_INFINITY, "weight"))
        .hasMessage("weight must be positive and finite but was Infinity");
    assertThatThrownBy(() -> Checks.requireNonNegative(-1, "burst"))
        .hasMessage("burst must not be negative but was -1");
    assertThatThrownBy(() -> Checks.requirePositive(Duration.ofSeconds(-1), "ttl"))
        .hasMessage("ttl must be positive but was PT-1S");
    assertThatThrownBy(() -> Checks.requirePositive((Duration) null, "ttl"))
        .isInstanceOf(NullPointerException.class).hasMessage("ttl must not be null");
    assertThatThrownBy(() -> Checks.requireNonNegative(Duration.ofMillis(-1), "jitter"))
        .hasMessage("jitter must not be negative but was PT-0.001S");
    assertThatThrownBy(() -> Checks.requirePositive(Duration.ofSeconds(Long.MAX_VALUE), "l2Ttl"))
        .hasMessage("l2Ttl must be at most PT876000H but was PT2562047788015215H30M7S");
    assertThatThrownBy(() -> Checks.requireNonNegative(Duration.ofDays(36_501), "jitter"))
        .hasMessage("jitter must be at most PT876000H but was PT876024H");
    assertThatThrownBy(
            () -> Checks.requireInRange(
                Duration.ofMinutes(2), Duration.ofMillis(1), Duration.ofMinutes(1), "timeout"))
        .hasMessage("timeout must be in [PT0.001S, PT1M] but was PT2M");
    assertThatThrownBy(() -> Checks.requireInRange(101, 0, 100, "percent"))
        .hasMessage("percent must be in [0, 100] but was 101");
    assertThatThrownBy(() -> Checks.requireNonEmpty("", "name"))
        .hasMessage("name must not be empty");
    assertThatThrownBy(() -> Checks.requireNonEmpty(List.of(), "shards"))
        .hasMessage("shards must not be empty");
    assertThatThrownBy(() -> Checks.requireNonEmpty(Arrays.asList("a", null), "keys"))
        .isInstanceOf(NullPointerException.class).hasMessage("keys must not contain null");
    assertThatThrownBy(() -> Checks.requireArgument(false, "n must be at most %d but was %d", 3, 5))
        .hasMessage("n must be at most 3 but was 5");
    assertThatThrownBy(() -> Checks.requireUnset(true, "maximumSize", 10))
        .isInstanceOf(IllegalStateException.class).hasMessage("maximumSize was already set to 10");
    assertThatThrownBy(() -> Checks.requireUnset(true, "credentials"))
        .isInstanceOf(IllegalStateException.class).hasMessage("credentials was already set");
  }

  @Test
  void goodValuesPassThrough() {
    assertThat(Checks.requirePositive(5, "n")).isEqualTo(5);
    assertThat(Checks.requireNonNegative(Duration.ZERO, "d")).isEqualTo(Duration.ZERO);
    assertThat(Checks.requireNonEmpty("x", "s")).isEqualTo("x");
    assertThat(Checks.requireInRange(0.5, 0, 1, "p")).isEqualTo(0.5);
  }
}
