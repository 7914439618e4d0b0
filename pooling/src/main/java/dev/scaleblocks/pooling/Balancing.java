package dev.scaleblocks.pooling;

/** How {@link ReadWriteDataSource} spreads reads over the healthy replicas. */
public enum Balancing {
  /** Each replica in turn: one atomic increment per read. */
  ROUND_ROBIN,
  /**
   * The replica whose pool has the fewest connections in use (HikariCP's pool MXBean), ties in
   * turn. Costs a scan of each eligible pool's bag per read; best when replicas differ in speed.
   */
  LEAST_ACTIVE,
  /** In turn, each replica as often as its weight (see {@code ReadWriteDataSource.Builder#replica}). */
  WEIGHTED
}
