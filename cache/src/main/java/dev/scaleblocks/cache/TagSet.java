package dev.scaleblocks.cache;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.scaleblocks.core.internal.Checks;
import java.util.Arrays;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The checked tags of one write: at most {@value #MAX_TAGS} distinct, non-empty tags of at most
 * {@value #MAX_TAG_LENGTH} characters each, sorted (so equal sets encode alike).
 *
 * <p>Immutable. Cost: made once per tagged write, {@code O(tags)}.
 */
final class TagSet {

  /** Tags one entry may carry. */
  static final int MAX_TAGS = 32;
  /** Characters of one tag. */
  static final int MAX_TAG_LENGTH = 256;

  final String[] names;

  private TagSet(String[] names) {
    this.names = names;
  }

  /**
   * Checks {@code tags}; {@code null} for an empty set (a write without tags).
   *
   * @throws NullPointerException for a null set or a null tag, naming it
   * @throws IllegalArgumentException for an empty or over-long tag, or too many tags
   */
  static @Nullable TagSet of(@Nullable Collection<String> tags) {
    Checks.requireNoNulls(tags, "tags");
    Collection<String> given = java.util.Objects.requireNonNull(tags);
    if (given.isEmpty()) {
      return null;
    }
    Set<String> sorted = new TreeSet<>();
    for (String tag : given) {
      sorted.add(check(tag));
    }
    if (sorted.size() > MAX_TAGS) {
      throw new IllegalArgumentException(
          "tags must hold at most " + MAX_TAGS + " tags but held " + sorted.size());
    }
    return new TagSet(sorted.toArray(new String[0]));
  }

  /** Checks one tag (for {@code invalidateByTag} and each tag of a write). */
  static String check(@Nullable String tag) {
    Checks.requireNonNull(tag, "tag");
    String t = java.util.Objects.requireNonNull(tag);
    if (t.isEmpty()) {
      throw new IllegalArgumentException("tag must not be empty");
    }
    if (t.length() > MAX_TAG_LENGTH) {
      throw new IllegalArgumentException(
          "tag length must be at most " + MAX_TAG_LENGTH + " but was " + t.length());
    }
    return t;
  }

  boolean contains(String tag) {
    return Arrays.binarySearch(names, tag) >= 0;
  }

  /** The bytes of this set in an envelope: a count, then each tag's UTF-8 length (2 bytes) and bytes. */
  byte[] encode() {
    byte[][] utf8 = new byte[names.length][];
    int size = 1;
    for (int i = 0; i < names.length; i++) {
      utf8[i] = names[i].getBytes(UTF_8);
      size += 2 + utf8[i].length;
    }
    byte[] out = new byte[size];
    out[0] = (byte) names.length;
    int at = 1;
    for (byte[] t : utf8) {
      out[at++] = (byte) (t.length >>> 8);
      out[at++] = (byte) t.length;
      System.arraycopy(t, 0, out, at, t.length);
      at += t.length;
    }
    return out;
  }

  /**
   * Reads a set written by {@link #encode} at {@code from}; returns it and where it ends, or
   * {@code null} for bytes that are not one.
   */
  static @Nullable Decoded decode(byte[] raw, int from) {
    if (from >= raw.length) {
      return null;
    }
    int n = raw[from] & 0xFF;
    if (n == 0 || n > MAX_TAGS) {
      return null;
    }
    String[] names = new String[n];
    int at = from + 1;
    for (int i = 0; i < n; i++) {
      if (at + 2 > raw.length) {
        return null;
      }
      int len = ((raw[at] & 0xFF) << 8) | (raw[at + 1] & 0xFF);
      at += 2;
      if (len == 0 || at + len > raw.length) {
        return null;
      }
      names[i] = new String(raw, at, len, UTF_8);
      at += len;
    }
    return new Decoded(new TagSet(names), at);
  }

  /** A set read from an envelope and the offset just past it. */
  record Decoded(TagSet tags, int end) {}

  @Override
  public String toString() {
    return Arrays.toString(names);
  }
}
