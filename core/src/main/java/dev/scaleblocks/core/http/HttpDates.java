package dev.scaleblocks.core.http;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * HTTP dates (RFC 9110 §5.6.7): formats IMF-fixdate ({@code Sun, 06 Nov 1994 08:49:37 GMT}) and
 * parses it and the two obsolete forms (RFC 850 {@code Sunday, 06-Nov-94 08:49:37 GMT} and asctime
 * {@code Sun Nov  6 08:49:37 1994}). Stateless and thread-safe.
 */
public final class HttpDates {

  private static final DateTimeFormatter IMF =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter RFC850 =
      DateTimeFormatter.ofPattern("dd-MMM-yy HH:mm:ss 'GMT'", Locale.US);
  private static final DateTimeFormatter ASCTIME =
      DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.US);

  private HttpDates() {}

  /** {@code instant} as an IMF-fixdate, truncated to the second. */
  public static String format(Instant instant) {
    return IMF.format(instant);
  }

  /**
   * The instant of an HTTP date, or null when {@code value} is absent or not a valid HTTP date (a
   * recipient ignores such a header, RFC 9110 §13.1.3). Never throws; values over 64 characters
   * are rejected without parsing.
   */
  public static @Nullable Instant parse(@Nullable String value) {
    if (value == null || value.length() > 64) {
      return null;
    }
    String v = value.trim();
    try {
      return LocalDateTime.parse(v, IMF).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      // try the obsolete forms
    }
    try {
      // the weekday is redundant and cannot be checked before the century is fixed
      int comma = v.indexOf(", ");
      if (comma < 0) {
        throw new DateTimeParseException("no weekday", v, 0);
      }
      LocalDateTime t = LocalDateTime.parse(v.substring(comma + 2), RFC850);
      // two-digit years more than 50 years in the future are in the past century (RFC 9110)
      if (t.getYear() > LocalDateTime.now(ZoneOffset.UTC).getYear() + 50) {
        t = t.minusYears(100);
      }
      return t.toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      // try asctime
    }
    try {
      return LocalDateTime.parse(v, ASCTIME).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
