package dev.scaleblocks.cache.http;

import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * An HTTP entity tag (RFC 9110 §8.8.3): an opaque quoted string, strong ({@code "abc"}) or weak
 * ({@code W/"abc"}), with the strong and weak comparison functions. Immutable and thread-safe.
 */
public final class EntityTag {

  /** At most this many tags are read from one {@code If-Match} / {@code If-None-Match} list. */
  static final int MAX_LIST = 64;

  private final String opaque;
  private final boolean weak;

  private EntityTag(String opaque, boolean weak) {
    this.opaque = opaque;
    this.weak = weak;
  }

  /** A strong tag; {@code opaque} is the text between the quotes. */
  public static EntityTag strong(String opaque) {
    return new EntityTag(checkOpaque(opaque), false);
  }

  /** A weak tag; {@code opaque} is the text between the quotes. */
  public static EntityTag weak(String opaque) {
    return new EntityTag(checkOpaque(opaque), true);
  }

  /** The strong tag of a cache entry version: {@code "v<hex>"}. */
  public static EntityTag ofVersion(long version) {
    return new EntityTag("v" + Long.toHexString(version), false);
  }

  private static String checkOpaque(String opaque) {
    requireNonNull(opaque, "opaque");
    for (int i = 0; i < opaque.length(); i++) {
      if (!isEtagc(opaque.charAt(i))) {
        throw new IllegalArgumentException("opaque must be etagc characters (no quotes, spaces or controls) but was " + opaque);
      }
    }
    return opaque;
  }

  private static boolean isEtagc(char c) {
    return c == 0x21 || (c >= 0x23 && c <= 0x7E) || (c >= 0x80 && c <= 0xFF);
  }

  /** Parses one tag ({@code "x"} or {@code W/"x"}); null when malformed. Never throws. */
  public static @Nullable EntityTag parse(@Nullable String value) {
    if (value == null) {
      return null;
    }
    String v = value.trim();
    boolean weak = v.startsWith("W/");
    if (weak) {
      v = v.substring(2);
    }
    if (v.length() < 2 || v.charAt(0) != '"' || v.charAt(v.length() - 1) != '"') {
      return null;
    }
    String opaque = v.substring(1, v.length() - 1);
    for (int i = 0; i < opaque.length(); i++) {
      if (!isEtagc(opaque.charAt(i))) {
        return null;
      }
    }
    return new EntityTag(opaque, weak);
  }

  /**
   * Parses an {@code If-Match} / {@code If-None-Match} field value: null for {@code *}, else the
   * well-formed tags of the list (malformed members are skipped, at most {@value #MAX_LIST} read).
   * Never throws.
   */
  static @Nullable List<EntityTag> parseList(String value) {
    String v = value.trim();
    if (v.equals("*")) {
      return null;
    }
    List<EntityTag> tags = new ArrayList<>(2);
    int i = 0;
    int n = v.length();
    while (i < n && tags.size() < MAX_LIST) {
      while (i < n && (v.charAt(i) == ',' || v.charAt(i) == ' ' || v.charAt(i) == '\t')) {
        i++;
      }
      int start = i;
      if (v.startsWith("W/", i)) {
        i += 2;
      }
      if (i < n && v.charAt(i) == '"') {
        int close = v.indexOf('"', i + 1);
        if (close < 0) {
          break;
        }
        EntityTag tag = parse(v.substring(start, close + 1));
        if (tag != null) {
          tags.add(tag);
        }
        i = close + 1;
      } else {
        int comma = v.indexOf(',', i);
        i = comma < 0 ? n : comma + 1;
      }
    }
    return tags;
  }

  public String opaque() {
    return opaque;
  }

  public boolean isWeak() {
    return weak;
  }

  /** Strong comparison: both strong and the same opaque text. */
  public boolean strongMatches(EntityTag other) {
    return !weak && !other.weak && opaque.equals(other.opaque);
  }

  /** Weak comparison: the same opaque text, weak or not. */
  public boolean weakMatches(EntityTag other) {
    return opaque.equals(other.opaque);
  }

  /** This tag as written in a header: {@code "abc"} or {@code W/"abc"}. */
  @Override
  public String toString() {
    return (weak ? "W/\"" : "\"") + opaque + '"';
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EntityTag t && t.weak == weak && t.opaque.equals(opaque);
  }

  @Override
  public int hashCode() {
    return opaque.hashCode() * 31 + (weak ? 1 : 0);
  }
}
