package dev.scaleblocks.pooling;

/**
 * A position in the primary's write-ahead log taken after a write (PostgreSQL: the WAL insert LSN).
 * A read carrying the token goes only to a replica that has replayed at least this position, or to
 * the primary, so it sees the write. Tokens can be carried across threads and requests (for example
 * in a session or a cookie via {@link #position()} and {@link #of(long)}).
 *
 * <p>Immutable and thread-safe.
 */
public final class WriteToken implements Comparable<WriteToken> {

  /** A token every replica satisfies: reads carrying it are routed as plain reads. */
  public static final WriteToken NONE = new WriteToken(0);

  private final long position;

  private WriteToken(long position) {
    this.position = position;
  }

  /** A token for a raw log position (PostgreSQL LSN as an unsigned 64-bit number). */
  public static WriteToken of(long position) {
    return position == 0 ? NONE : new WriteToken(position);
  }

  /** The log position. */
  public long position() {
    return position;
  }

  /** Whether a replica that replayed up to {@code replayedPosition} has seen this write. */
  public boolean isSatisfiedBy(long replayedPosition) {
    return Long.compareUnsigned(replayedPosition, position) >= 0;
  }

  /** The later of the two tokens. */
  public WriteToken max(WriteToken other) {
    return compareTo(other) >= 0 ? this : other;
  }

  @Override
  public int compareTo(WriteToken other) {
    return Long.compareUnsigned(position, other.position);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WriteToken other && other.position == position;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(position);
  }

  /** PostgreSQL notation, e.g. {@code 0/3026330}. */
  @Override
  public String toString() {
    return Long.toHexString(position >>> 32).toUpperCase(java.util.Locale.ROOT)
        + "/"
        + Long.toHexString(position & 0xFFFFFFFFL).toUpperCase(java.util.Locale.ROOT);
  }
}
