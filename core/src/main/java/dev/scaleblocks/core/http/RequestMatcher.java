package dev.scaleblocks.core.http;

import static dev.scaleblocks.core.internal.Checks.requireArgument;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Matches a request by path pattern and, optionally, by method.
 *
 * <p>Patterns are matched segment by segment against the raw path: a literal segment matches
 * itself, {@code *} matches exactly one segment, and a trailing {@code **} matches any number of
 * segments, including none ({@code /api/**} matches {@code /api}, {@code /api/} and {@code
 * /api/a/b}). {@code /**} matches every path.
 *
 * <p>Immutable and thread-safe. {@link #matches} allocates nothing and costs one pass over the path.
 */
public final class RequestMatcher {

  private static final RequestMatcher ANY = new RequestMatcher("/**", Set.of());

  private final String pattern;
  private final String[] segments;
  private final boolean trailingWildcard;
  private final Set<String> methods;

  private RequestMatcher(String pattern, Set<String> methods) {
    this.pattern = pattern;
    String[] parts = pattern.substring(1).split("/", -1);
    boolean wildcard = parts.length > 0 && parts[parts.length - 1].equals("**");
    if (wildcard) {
      String[] trimmed = new String[parts.length - 1];
      System.arraycopy(parts, 0, trimmed, 0, trimmed.length);
      parts = trimmed;
    }
    for (String part : parts) {
      requireArgument(!part.equals("**"), "pattern may use ** only as its last segment but was %s", pattern);
    }
    this.segments = parts;
    this.trailingWildcard = wildcard;
    this.methods = methods;
  }

  /** Every request. */
  public static RequestMatcher any() {
    return ANY;
  }

  /** Requests whose path matches {@code pattern}, whatever their method. */
  public static RequestMatcher path(String pattern) {
    requireNonNull(pattern, "pattern");
    requireArgument(pattern.startsWith("/"), "pattern must start with / but was %s", pattern);
    return new RequestMatcher(pattern, Set.of());
  }

  /** The same path pattern, restricted to {@code methods} (case-insensitive). */
  public RequestMatcher methods(String... methods) {
    requireNonNull(methods, "methods");
    requireArgument(methods.length > 0, "methods must not be empty");
    Set<String> upper = new TreeSet<>();
    for (String m : methods) {
      requireNonNull(m, "method");
      requireArgument(!m.isBlank(), "method must not be blank but was '%s'", m);
      upper.add(m.toUpperCase(Locale.ROOT));
    }
    return new RequestMatcher(pattern, Set.copyOf(upper));
  }

  /** Whether a request with this method and path matches. */
  public boolean matches(String method, String path) {
    if (!methods.isEmpty() && !methods.contains(method)) {
      return false;
    }
    if (path.isEmpty() || path.charAt(0) != '/') {
      return false;
    }
    int pos = 1;
    int n = path.length();
    for (int i = 0; i < segments.length; i++) {
      if (pos > n) {
        return false;
      }
      int end = path.indexOf('/', pos);
      if (end < 0) {
        end = n;
      }
      String seg = segments[i];
      if (seg.equals("*")) {
        if (end == pos) {
          return false;
        }
      } else if (end - pos != seg.length() || !path.regionMatches(pos, seg, 0, seg.length())) {
        return false;
      }
      pos = end + 1;
    }
    if (trailingWildcard) {
      return true;
    }
    return pos == n + 1;
  }

  /** Whether {@code request} matches. */
  public boolean matches(HttpRequestView request) {
    return matches(request.method(), request.path());
  }

  @Override
  public String toString() {
    return methods.isEmpty() ? pattern : methods + " " + pattern;
  }
}
