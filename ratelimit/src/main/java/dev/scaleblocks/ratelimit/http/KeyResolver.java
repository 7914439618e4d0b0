package dev.scaleblocks.ratelimit.http;

import static dev.scaleblocks.core.internal.Checks.requireNonEmpty;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import dev.scaleblocks.core.hash.Hashing;
import dev.scaleblocks.core.http.HttpRequestView;
import java.security.Principal;
import org.jspecify.annotations.Nullable;

/**
 * Derives the rate-limit key of a request: whose quota it spends. A null key means the request is
 * not limited by this resolver (use {@link #orElse} to fall back).
 *
 * <p>Implementations must be thread-safe, fast (they run on every request, on Netty's event loop)
 * and must never throw on malformed input; an exception is treated as a null key.
 */
@FunctionalInterface
public interface KeyResolver {

  /** Values longer than this are replaced by a hash, so a client cannot create huge keys. */
  int MAX_KEY_LENGTH = 128;

  /** The key of {@code request}, or null to leave it unlimited. */
  @Nullable String resolve(HttpRequestView request);

  /** This resolver, or {@code other} when this one gives null. */
  default KeyResolver orElse(KeyResolver other) {
    requireNonNull(other, "other");
    return request -> {
      String key = resolve(request);
      return key != null ? key : other.resolve(request);
    };
  }

  /** The TCP peer's address, ignoring every forwarding header (for servers not behind a proxy). */
  static KeyResolver clientIp() {
    return ClientIpResolver.builder().build();
  }

  /** The value of header {@code name}, e.g. a tenant id; null when absent or blank. */
  static KeyResolver header(String name) {
    requireNonEmpty(name, "name");
    return request -> bounded("h:", request.header(name));
  }

  /**
   * An API key from header {@code name}; the key is hashed (xxHash64) so that secrets never reach
   * the limiter's store or its metrics.
   */
  static KeyResolver apiKey(String name) {
    requireNonEmpty(name, "name");
    return request -> {
      String value = request.header(name);
      if (value == null || value.isBlank()) {
        return null;
      }
      return "k:" + Long.toHexString(Hashing.xxHash64(value.trim()));
    };
  }

  /** The authenticated principal's name; null for anonymous requests. */
  static KeyResolver principal() {
    return request -> {
      Principal p = request.principal();
      return p == null ? null : bounded("p:", p.getName());
    };
  }

  private static @Nullable String bounded(String prefix, @Nullable String value) {
    if (value == null) {
      return null;
    }
    String v = value.trim();
    if (v.isEmpty()) {
      return null;
    }
    if (v.length() > MAX_KEY_LENGTH) {
      return prefix + "#" + Long.toHexString(Hashing.xxHash64(v));
    }
    return prefix + v;
  }
}
