package dev.scaleblocks.core.internal;

import com.google.errorprone.annotations.FormatMethod;
import com.google.errorprone.annotations.FormatString;
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
  @Contract("null, _ -> fail")
  public static <T> T requireNonNull(@Nullable T value, String name) {
    if (value == null) {
      throw new NullPointerException(name + " must not be null");
    }
    return value;
  }

  /** Throws {@link IllegalArgumentException} with the formatted message unless {@code condition}. */
  @Contract("false, _, _ -> fail")
  @FormatMethod
  public static void requireArgument(
      boolean condition, @FormatString String format, @Nullable Object... args) {
    if (!condition) {
      throw new IllegalArgumentException(String.format(format, args));
    }
  }

  /** Throws {@link IllegalStateException} with the formatted message unless {@code condition}. */
  @Contract("false, _, _ -> fail")
  @FormatMethod
  public static void requireState(
      boolean condition, @FormatString String format, @Nullable Object... args) {
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
    Duration checked = requireNonNull(value, name);
    if (checked.isNegative() || checked.isZero()) {
      throw new IllegalArgumentException(name + " must be positive but was " + value);
    }
    return requireAtMost(checked, MAX_DURATION, name);
  }

  /** Requires a non-null duration that is zero or greater and at most {@link #MAX_DURATION}. */
  public static Duration requireNonNegative(@Nullable Duration value, String name) {
    Duration checked = requireNonNull(value, name);
    if (checked.isNegative()) {
      throw new IllegalArgumentException(name + " must not be negative but was " + value);
    }
    return requireAtMost(checked, MAX_DURATION, name);
  }

  /** Requires a non-null duration in {@code [min, max]} ("storeTimeout must be in [PT0.001S, PT1M] but was PT2M"). */
  public static Duration requireInRange(
      @Nullable Duration value, Duration min, Duration max, String name) {
    Duration checked = requireNonNull(value, name);
    if (checked.compareTo(min) < 0 || checked.compareTo(max) > 0) {
      throw new IllegalArgumentException(
          name + " must be in [" + min + ", " + max + "] but was " + value);
    }
    return checked;
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
    String checked = requireNonNull(value, name);
    if (checked.isEmpty()) {
      throw new IllegalArgumentException(name + " must not be empty");
    }
    return checked;
  }

  /** Requires a non-null, non-empty collection without null elements. */
  public static <C extends Collection<?>> C requireNonEmpty(@Nullable C value, String name) {
    C checked = requireNonNull(value, name);
    if (checked.isEmpty()) {
      throw new IllegalArgumentException(name + " must not be empty");
    }
    return requireNoNulls(checked, name);
  }

  /** Requires a non-null collection without null elements. */
  public static <C extends Collection<?>> C requireNoNulls(@Nullable C value, String name) {
    C checked = requireNonNull(value, name);
    for (Object element : checked) {
      if (element == null) {
        throw new NullPointerException(name + " must not contain null");
      }
    }
    return checked;
  }

  /**
   * Refuses a builder option given a second time: throws {@link IllegalStateException}
   * "{name} was already set to {current}" when {@code isSet} ("maximumSize was already set to
   * 10"). Every single-valued builder option calls this (or {@link #requireUnset(boolean, String)})
   * before it stores its value, so that a later call can never silently override an earlier one.
   */
  public static void requireUnset(boolean isSet, String name, @Nullable Object current) {
    if (isSet) {
      throw new IllegalStateException(name + " was already set to " + current);
    }
  }

  /**
   * As {@link #requireUnset(boolean, String, Object)} without the value, for a secret, a flag or
   * an object whose {@code toString()} says nothing ("credentials was already set").
   */
  public static void requireUnset(boolean isSet, String name) {
    if (isSet) {
      throw new IllegalStateException(name + " was already set");
    }
  }
}
