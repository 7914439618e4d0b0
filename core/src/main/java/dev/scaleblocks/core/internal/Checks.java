package dev.scaleblocks.core.internal;

import java.time.Duration;
import java.util.Collection;
import org.jspecify.annotations.Nullable;

/**
 * Argument checks shared by every module. Messages are lowercase, name the parameter and show the
 * bad value ("capacity must be positive but was -3"); they are part of the API and tests assert
 * on them.
 *
 * <p>Not part of the public API: may change without notice.
 */
public final class Checks {

  private Checks() {}

  /** Throws {@link NullPointerException} "{name} must not be null" when {@code value} is null. */
  public static <T> T requireNonNull(@Nullable T value, String name) {
    if (value == null) {
      throw new NullPointerException(name + " must not be null");
    }
    return value;
  }

  /** Throws {@link IllegalArgumentException} with the formatted message unless {@code condition}. */
  public static void requireArgument(boolean condition, String format, @Nullable Object... args) {
    if (!condition) {
      throw new IllegalArgumentException(String.format(format, args));
    }
  }

  /** Throws {@link IllegalStateException} with the formatted message unless {@code condition}. */
  public static void requireState(boolean condition, String format, @Nullable Object... args) {
    if (!condition) {
      throw new IllegalStateException(String.format(format, args));
    }
  }

  public static long requirePositive(long value, String name) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive but was " + value);
    }
    return value;
  }

  public static int requirePositive(int value, String name) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive but was " + value);
    }
    return value;
  }

  public static double requirePositive(double value, String name) {
    if (!(value > 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(name + " must be positive and finite but was " + value);
    }
    return value;
  }

  public static long requireNonNegative(long value, String name) {
    if (value < 0) {
      throw new IllegalArgumentException(name + " must not be negative but was " + value);
    }
    return value;
  }

  public static int requireNonNegative(int value, String name) {
    if (value < 0) {
      throw new IllegalArgumentException(name + " must not be negative but was " + value);
    }
    return value;
  }

  /** Requires {@code min <= value <= max}. */
  public static long requireInRange(long value, long min, long max, String name) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          name + " must be in [" + min + ", " + max + "] but was " + value);
    }
    return value;
  }

  /** Requires {@code min <= value <= max} and not NaN. */
  public static double requireInRange(double value, double min, double max, String name) {
    if (!(value >= min && value <= max)) {
      throw new IllegalArgumentException(
          name + " must be in [" + min + ", " + max + "] but was " + value);
    }
    return value;
  }

  /**
   * The longest duration any setting accepts: 100 years. A larger value cannot be meant, and
   * adding it to a nanosecond clock reading or converting it to nanoseconds would overflow.
   */
  public static final Duration MAX_DURATION = Duration.ofDays(36_500);

  /** Requires a non-null duration strictly greater than zero and at most {@link #MAX_DURATION}. */
  public static Duration requirePositive(@Nullable Duration value, String name) {
    requireNonNull(value, name);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be positive but was " + value);
    }
    return requireAtMost(value, MAX_DURATION, name);
  }

  /** Requires a non-null duration that is zero or greater and at most {@link #MAX_DURATION}. */
  public static Duration requireNonNegative(@Nullable Duration value, String name) {
    requireNonNull(value, name);
    if (value.isNegative()) {
      throw new IllegalArgumentException(name + " must not be negative but was " + value);
    }
    return requireAtMost(value, MAX_DURATION, name);
  }

  /** Requires a non-null duration in {@code [min, max]} ("storeTimeout must be in [PT0.001S, PT1M] but was PT2M"). */
  public static Duration requireInRange(
      @Nullable Duration value, Duration min, Duration max, String name) {
    requireNonNull(value, name);
    if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
      throw new IllegalArgumentException(
          name + " must be in [" + min + ", " + max + "] but was " + value);
    }
    return value;
  }

  private static Duration requireAtMost(Duration value, Duration max, String name) {
    if (value.compareTo(max) > 0) {
      throw new IllegalArgumentException(
          name + " must be at most " + max + " but was " + value);
    }
    return value;
  }

  /** Requires a non-null, non-empty string. */
  public static String requireNonEmpty(@Nullable String value, String name) {
    requireNonNull(value, name);
    if (value.isEmpty()) {
      throw new IllegalArgumentException(name + " must not be empty");
    }
    return value;
  }

  /** Requires a non-null, non-empty collection without null elements. */
  public static <C extends Collection<?>> C requireNonEmpty(@Nullable C value, String name) {
    requireNonNull(value, name);
    if (value.isEmpty()) {
      throw new IllegalArgumentException(name + " must not be empty");
    }
    requireNoNulls(value, name);
    return value;
  }

  /** Requires a non-null collection without null elements. */
  public static <C extends Collection<?>> C requireNoNulls(@Nullable C value, String name) {
    requireNonNull(value, name);
    for (Object element : value) {
      if (element == null) {
        throw new NullPointerException(name + " must not contain null");
      }
    }
    return value;
  }

  /** Requires that a setting has not been set before on a builder ("maximumSize was already set to 10"). */
  public static void requireUnset(boolean isSet, String name, @Nullable Object current) {
    if (isSet) {
      throw new IllegalStateException(name + " was already set to " + current);
    }
  }
}
