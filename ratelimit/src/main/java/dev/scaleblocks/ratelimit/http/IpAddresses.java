package dev.scaleblocks.ratelimit.http;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.jspecify.annotations.Nullable;

/**
 * IP literal parsing and formatting without any name lookup. IPv4-mapped IPv6 addresses are
 * returned as IPv4. Allocation-bounded: inputs longer than an IPv6 literal are rejected at once.
 * Stateless and thread-safe.
 */
final class IpAddresses {

  private static final int MAX_LITERAL = 45;

  private IpAddresses() {}

  /** The 4 or 16 bytes of an IPv4 or IPv6 literal, or null when {@code s} is not one. */
  static byte @Nullable [] parse(@Nullable String s) {
    if (s == null || s.isEmpty() || s.length() > MAX_LITERAL) {
      return null;
    }
    if (s.indexOf(':') < 0) {
      return parseV4(s, 0, s.length());
    }
    byte[] v6 = parseV6(s);
    if (v6 == null) {
      return null;
    }
    boolean mapped = true;
    for (int i = 0; i < 10; i++) {
      mapped &= v6[i] == 0;
    }
    if (mapped && v6[10] == (byte) 0xFF && v6[11] == (byte) 0xFF) {
      return new byte[] {v6[12], v6[13], v6[14], v6[15]};
    }
    return v6;
  }

  private static byte @Nullable [] parseV4(String s, int from, int to) {
    byte[] out = new byte[4];
    int part = 0;
    int i = from;
    while (part < 4) {
      int start = i;
      int value = 0;
      while (i < to && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
        value = value * 10 + (s.charAt(i) - '0');
        i++;
        if (i - start > 3) {
          return null;
        }
      }
      if (i == start || value > 255 || (i - start > 1 && s.charAt(start) == '0')) {
        return null;
      }
      out[part++] = (byte) value;
      if (part < 4) {
        if (i >= to || s.charAt(i) != '.') {
          return null;
        }
        i++;
      }
    }
    return i == to ? out : null;
  }

  private static byte @Nullable [] parseV6(String s) {
    int n = s.length();
    int[] groups = new int[8];
    int count = 0;
    int compressAt = -1;
    int i = 0;
    byte[] tailV4 = null;
    if (s.startsWith("::")) {
      compressAt = 0;
      i = 2;
      if (i == n) {
        return new byte[16];
      }
    } else if (s.charAt(0) == ':') {
      return null;
    }
    while (i < n) {
      if (count == 8) {
        return null;
      }
      int start = i;
      int value = 0;
      while (i < n && Character.digit(s.charAt(i), 16) >= 0) {
        value = (value << 4) | Character.digit(s.charAt(i), 16);
        i++;
        if (i - start > 4) {
          break;
        }
      }
      if (i < n && s.charAt(i) == '.') {
        // embedded IPv4 in the last 32 bits
        if (count > 6) {
          return null;
        }
        tailV4 = parseV4(s, start, n);
        if (tailV4 == null) {
          return null;
        }
        break;
      }
      if (i == start || i - start > 4) {
        return null;
      }
      groups[count++] = value;
      if (i == n) {
        break;
      }
      if (s.charAt(i) != ':') {
        return null;
      }
      i++;
      if (i < n && s.charAt(i) == ':') {
        if (compressAt >= 0) {
          return null;
        }
        compressAt = count;
        i++;
        if (i == n) {
          break;
        }
      } else if (i == n) {
        return null;
      }
    }
    int total = count + (tailV4 != null ? 2 : 0);
    if (compressAt < 0 ? total != 8 : total > 7) {
      return null;
    }
    byte[] out = new byte[16];
    int headGroups = compressAt < 0 ? count : compressAt;
    for (int g = 0; g < headGroups; g++) {
      out[2 * g] = (byte) (groups[g] >> 8);
      out[2 * g + 1] = (byte) groups[g];
    }
    int tailGroups = count - headGroups;
    int tailBytes = tailGroups * 2 + (tailV4 != null ? 4 : 0);
    int pos = 16 - tailBytes;
    for (int g = headGroups; g < count; g++) {
      out[pos++] = (byte) (groups[g] >> 8);
      out[pos++] = (byte) groups[g];
    }
    if (tailV4 != null) {
      System.arraycopy(tailV4, 0, out, 12, 4);
    }
    return out;
  }

  /** The textual form of 4 or 16 address bytes (no lookup). */
  static String format(byte[] address) {
    try {
      return InetAddress.getByAddress(address).getHostAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("address must have 4 or 16 bytes but had " + address.length, e);
    }
  }
}
