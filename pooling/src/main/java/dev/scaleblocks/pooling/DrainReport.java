package dev.scaleblocks.pooling;

import java.time.Duration;
import java.util.List;

/**
 * What {@link ReadWriteDataSource#drain(Duration)} found. Immutable.
 *
 * @param clean whether every borrowed connection came back before the deadline
 * @param waited how long the drain waited for connections to come back
 * @param pools one line per pool, with what was still in use at the deadline
 */
public record DrainReport(boolean clean, Duration waited, List<PoolDrain> pools) {

  public DrainReport {
    pools = List.copyOf(pools);
  }

  /** Connections still borrowed from all pools when the pools were closed (HikariCP aborts them). */
  public int inUseAtDeadline() {
    int n = 0;
    for (PoolDrain p : pools) {
      n += p.inUseAtDeadline();
    }
    return n;
  }

  /**
   * One pool's drain.
   *
   * @param pool the pool's name
   * @param role primary or replica
   * @param inUseAtStart connections borrowed when the drain began
   * @param inUseAtDeadline connections still borrowed when the pool was closed
   */
  public record PoolDrain(String pool, String role, int inUseAtStart, int inUseAtDeadline) {}
}
