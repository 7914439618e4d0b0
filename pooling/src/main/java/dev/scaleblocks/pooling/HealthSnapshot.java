package dev.scaleblocks.pooling;

import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A point-in-time view of a {@link ReadWriteDataSource} for a readiness endpoint. Immutable.
 *
 * @param name the data source's name
 * @param state open, draining or closed
 * @param pools the primary first, then the replicas in configuration order
 */
public record HealthSnapshot(String name, State state, List<PoolHealth> pools) {

  public HealthSnapshot {
    pools = List.copyOf(pools);
  }

  /** Lifecycle of the data source. */
  public enum State {
    OPEN,
    DRAINING,
    CLOSED
  }

  /** Status of one pool as routing sees it. */
  public enum Status {
    /** Serving. */
    UP,
    /** Reachable but behind the lag bound: skipped for reads. */
    LAGGING,
    /** Failed a probe or a borrow: skipped until it passes probes again. */
    EJECTED
  }

  /** Ready to serve: open and the primary up (reads alone can be served without it, writes not). */
  public boolean ready() {
    return state == State.OPEN && !pools.isEmpty() && pools.get(0).status() == Status.UP;
  }

  /** Replicas currently taking reads. */
  public int replicasServing() {
    int n = 0;
    for (PoolHealth p : pools) {
      if (!p.role().equals("primary") && p.status() == Status.UP) {
        n++;
      }
    }
    return n;
  }

  /**
   * One pool.
   *
   * @param pool the pool's name
   * @param role primary or replica
   * @param shard the shard tag, or null
   * @param status how routing treats it
   * @param active connections in use
   * @param idle connections idle
   * @param waiting threads waiting for a connection
   * @param lag estimated replay lag (replicas), or null when unknown or for the primary
   * @param lastError the last probe or borrow failure while not up, or null
   */
  public record PoolHealth(
      String pool,
      String role,
      @Nullable String shard,
      Status status,
      int active,
      int idle,
      int waiting,
      @Nullable Duration lag,
      @Nullable String lastError) {}
}
