package dev.scaleblocks.core.http;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * Validation and generation of request ids, and extraction of the trace id from a W3C {@code
 * traceparent} header.
 *
 * <p>A valid request id is 1 to {@code maxLength} characters from {@code A-Z a-z 0-9} and {@code
 * - _ . : + = / @}: no spaces, quotes, control characters or line breaks, so an id copied into a
 * log line, a header or a JSON document can never inject anything.
 *
 * <p>Stateless and thread-safe; every method is allocation-free except {@link #generate()}.
 */
public final class RequestIds {

  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.ISO_8859_1);

  private RequestIds() {}

  /** Whether {@code id} is a safe request id of at most {@code maxLength} characters. */
  public static boolean isValid(@Nullable String id, int maxLength) {
    if (id == null || id.isEmpty() || id.length() > maxLength) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      if (!isIdChar(id.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  private static boolean isIdChar(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '-' || c == '_' || c == '.' || c == ':' || c == '+' || c == '=' || c == '/'
        || c == '@';
  }

  /**
   * The trace id (32 lowercase hex digits) of a valid W3C {@code traceparent} value ({@code
   * 00-<trace-id>-<parent-id>-<flags>}), or null when the value is absent or malformed or the trace
   * id is all zeros.
   */
  public static @Nullable String traceIdOf(@Nullable String traceparent) {
    if (traceparent == null) {
      return null;
    }
    String v = traceparent.trim();
    // version "00" is exactly 55 chars; future versions may append fields after a dash
    if (v.length() < 55 || (v.length() > 55 && v.charAt(55) != '-')) {
      return null;
    }
    if (v.charAt(2) != '-' || v.charAt(35) != '-' || v.charAt(52) != '-') {
      return null;
    }
    if (!isHex(v, 0, 2) || v.startsWith("ff") || !isHex(v, 3, 35) || !isHex(v, 36, 52)
        || !isHex(v, 53, 55)) {
      return null;
    }
    if (v.startsWith("00") && v.length() != 55) {
      return null;
    }
    boolean allZero = true;
    for (int i = 3; i < 35; i++) {
      if (v.charAt(i) != '0') {
        allZero = false;
        break;
      }
    }
    return allZero ? null : v.substring(3, 35);
  }

  private static boolean isHex(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  /**
   * A new random request id: 32 lowercase hex digits (128 bits from {@link ThreadLocalRandom};
   * unique, not secret).
   */
  public static String generate() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    byte[] out = new byte[32];
    fill(out, 0, r.nextLong());
    fill(out, 16, r.nextLong());
    return new String(out, StandardCharsets.ISO_8859_1);
  }

  private static void fill(byte[] out, int off, long bits) {
    for (int i = 15; i >= 0; i--) {
      out[off + i] = HEX[(int) (bits & 0xF)];
      bits >>>= 4;
    }
  }
}
