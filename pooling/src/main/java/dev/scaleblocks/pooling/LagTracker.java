package dev.scaleblocks.pooling;

/**
 * Estimates a replica's replay lag from samples of the primary's write position.
 *
 * <p>Each primary probe records (time, position). A replica that has replayed position {@code r}
 * holds everything the primary had written at the newest sample whose position is ≤ {@code r}, so
 * its data is at most {@code now − that sample's time} old. That bound is what routing compares
 * with the lag limit: it errs on the old side except that a replica at the newest sample counts as 0, its
 * resolution is the probe interval, and unlike {@code now() − pg_last_xact_replay_timestamp()} it
 * does not grow when the primary is simply idle.
 *
 * <p>Thread-safe: one writer (the primary's probe) and several readers; all work is in memory under
 * a monitor held for a few array reads.
 */
final class LagTracker {

  /** Lag when nothing is known yet. */
  static final long UNKNOWN = -1;

  private final long[] times;
  private final long[] positions;
  private int size;
  private int next;

  LagTracker(int capacity) {
    times = new long[capacity];
    positions = new long[capacity];
  }

  /** Records the primary's write position at {@code nanoTime}. */
  synchronized void record(long nanoTime, long position) {
    times[next] = nanoTime;
    positions[next] = position;
    next = (next + 1) % times.length;
    if (size < times.length) {
      size++;
    }
  }

  /**
   * Upper bound of a replica's lag in nanoseconds, given the position it has replayed; 0 when it
   * has replayed the newest sample; {@link #UNKNOWN} when no sample was taken or the position is
   * unknown (-1).
   */
  synchronized long lagNanos(long replayedPosition, long nowNanos) {
    if (size == 0 || replayedPosition == UNKNOWN) {
      return UNKNOWN;
    }
    int newest = (next - 1 + times.length) % times.length;
    for (int i = 0; i < size; i++) {
      int idx = (newest - i + times.length) % times.length;
      if (Long.compareUnsigned(positions[idx], replayedPosition) <= 0) {
        return i == 0 ? 0 : Math.max(0, nowNanos - times[idx]);
      }
    }
    int oldest = (newest - size + 1 + times.length) % times.length;
    return Math.max(0, nowNanos - times[oldest]);
  }
}
