package dev.scaleblocks.core.http;

import java.nio.charset.StandardCharsets;
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

  private static final String[] DAYS = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  private static final String[] MONTHS =
      {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

  /**
   * {@code instant} as an IMF-fixdate, truncated to the second. Years 1000 to 9999 are written
   * directly into the 29 characters of the date (one string, no formatter on the way); others go
   * through the {@link DateTimeFormatter}.
   */
  public static String format(Instant instant) {
    LocalDateTime t = LocalDateTime.ofEpochSecond(instant.getEpochSecond(), 0, ZoneOffset.UTC);
    int year = t.getYear();
    if (year < 1000 || year > 9999) {
      return IMF.format(instant);
    }
    byte[] out = new byte[29];
    put3(out, 0, DAYS[t.getDayOfWeek().getValue() - 1]);
    out[3] = ',';
    out[4] = ' ';
    put2(out, 5, t.getDayOfMonth());
    out[7] = ' ';
    put3(out, 8, MONTHS[t.getMonthValue() - 1]);
    out[11] = ' ';
    put2(out, 12, year / 100);
    put2(out, 14, year % 100);
    out[16] = ' ';
    put2(out, 17, t.getHour());
    out[19] = ':';
    put2(out, 20, t.getMinute());
    out[22] = ':';
    put2(out, 23, t.getSecond());
    out[25] = ' ';
    out[26] = 'G';
    out[27] = 'M';
    out[28] = 'T';
    return new String(out, StandardCharsets.ISO_8859_1);
  }

  private static void put2(byte[] out, int at, int value) {
    out[at] = (byte) ('0' + value / 10);
    out[at + 1] = (byte) ('0' + value % 10);
  }

  private static void put3(byte[] out, int at, String name) {
    out[at] = (byte) name.charAt(0);
    out[at + 1] = (byte) name.charAt(1);
    out[at + 2] = (byte) name.charAt(2);
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
