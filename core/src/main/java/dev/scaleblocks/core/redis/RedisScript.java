package dev.scaleblocks.core.redis;

import static dev.scaleblocks.core.internal.Checks.requireNonEmpty;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A Lua script and its SHA-1, computed once, locally, so that the first call can already be an
 * {@code EVALSHA}.
 *
 * <p>Immutable and thread-safe. Create scripts once (as constants) and share them.
 */
public final class RedisScript {

  private final String name;
  private final String source;
  private final String sha1;

  private RedisScript(String name, String source) {
    this.name = requireNonEmpty(name, "name");
    this.source = requireNonEmpty(source, "source");
    this.sha1 = sha1Hex(source);
  }

  /** A script called {@code name} (used in logs, metrics and spans) with Lua {@code source}. */
  public static RedisScript of(String name, String source) {
    return new RedisScript(name, source);
  }

  /** Loads a script from a class-path resource, e.g. {@code "/dev/scaleblocks/ratelimit/gcra.lua"}. */
  public static RedisScript fromResource(Class<?> anchor, String name, String resource) {
    requireNonNull(anchor, "anchor");
    requireNonEmpty(name, "name");
    requireNonEmpty(resource, "resource");
    try (var in = anchor.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalArgumentException(
            "resource " + resource + " not found next to " + anchor.getName());
      }
      return new RedisScript(name, new String(in.readAllBytes(), UTF_8));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot read script resource " + resource, e);
    }
  }

  public String name() {
    return name;
  }

  public String source() {
    return source;
  }

  /** Lowercase hex SHA-1 of the source, as Redis computes it. */
  public String sha1() {
    return sha1;
  }

  @Override
  public String toString() {
    return "RedisScript{" + name + ", sha1=" + sha1 + '}';
  }

  private static String sha1Hex(String source) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(source.getBytes(UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is required of every Java platform", e);
    }
  }
}
