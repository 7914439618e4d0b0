package dev.scaleblocks.ratelimit;

/** How a limit counts. Every algorithm has identical semantics in every store. */
public enum Algorithm {
  /** A bucket of {@code quota + burst} tokens refilled at {@code quota / period}, greedily. */
  TOKEN_BUCKET,
  /** {@code quota} permits per aligned window of {@code period}; the count resets at each window start. */
  FIXED_WINDOW,
  /** Fixed windows, with the previous window's count weighted by how much of it still overlaps. */
  SLIDING_WINDOW,
  /** The generic cell rate algorithm: a token bucket kept as one theoretical arrival time. */
  GCRA
}
