package dev.scaleblocks.ratelimit.http;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Extracts the node addresses of an {@code X-Forwarded-For} or {@code Forwarded} chain, rightmost
 * (nearest) first, looking at no more than {@code maxHops} hops and {@code maxChars} characters
 * from the right end, so a hostile header costs bounded time and memory. Entries are returned as
 * written (address text, possibly garbage); {@link IpAddresses} judges them. Never throws.
 */
final class ForwardedChain {

  /** Header lines looked at, from the last. */
  private static final int MAX_LINES = 64;

  private ForwardedChain() {}

  /** The last {@code maxHops} entries of the joined header values, nearest first. */
  static List<String> nodes(List<String> values, ProxyHeader header, int maxHops, int maxChars) {
    String joined = tail(values, maxChars);
    List<String> out = new ArrayList<>(Math.min(maxHops, 8));
    if (joined.isEmpty()) {
      return out;
    }
    // walk elements from the right; a comma inside a quoted string does not split
    int end = joined.length();
    boolean quoted = false;
    for (int i = joined.length() - 1; i >= -1 && out.size() < maxHops; i--) {
      char c = i >= 0 ? joined.charAt(i) : ',';
      if (c == '"') {
        quoted = !quoted;
      } else if (c == ',' && (!quoted || i < 0)) {
        String element = joined.substring(i + 1, end).trim();
        end = i;
        if (!element.isEmpty()) {
          out.add(header == ProxyHeader.FORWARDED ? forNode(element) : stripPort(element));
        }
      }
    }
    return out;
  }

  private static String tail(List<String> values, int maxChars) {
    if (values.isEmpty()) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    int lowest = Math.max(0, values.size() - MAX_LINES);
    for (int v = values.size() - 1; v >= lowest && sb.length() <= maxChars; v--) {
      String value = values.get(v);
      int take = Math.min(value.length(), maxChars + 1 - sb.length());
      if (sb.length() > 0) {
        sb.insert(0, ',');
      }
      sb.insert(0, value, value.length() - take, value.length());
    }
    if (sb.length() > maxChars) {
      // drop the partial element cut at the left edge
      int comma = sb.indexOf(",", sb.length() - maxChars);
      return comma < 0 ? "" : sb.substring(comma + 1);
    }
    return sb.toString();
  }

  /** The {@code for=} node of one {@code Forwarded} element, without quotes, brackets or port. */
  private static String forNode(String element) {
    for (String pair : element.split(";", 16)) {
      int eq = pair.indexOf('=');
      if (eq < 0) {
        continue;
      }
      if (!pair.substring(0, eq).trim().toLowerCase(Locale.ROOT).equals("for")) {
        continue;
      }
      String value = pair.substring(eq + 1).trim();
      if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
        value = value.substring(1, value.length() - 1).replace("\\", "");
      }
      return stripPort(value);
    }
    return "";
  }

  /** {@code [v6]:port} → {@code v6}; {@code v4:port} → {@code v4}; anything else unchanged. */
  static String stripPort(String node) {
    if (node.startsWith("[")) {
      int close = node.indexOf(']');
      return close < 0 ? node : node.substring(1, close);
    }
    int colon = node.indexOf(':');
    if (colon > 0 && node.indexOf(':', colon + 1) < 0) {
      return node.substring(0, colon);
    }
    return node;
  }
}
