package dev.scaleblocks.pooling;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import java.util.concurrent.ScheduledFuture;
import org.jspecify.annotations.Nullable;

/**
 * One pool (primary or replica) with its routing state. Fields read on the borrow path are
 * volatile; they are written by the probe task and by borrow failures under the data source's
 * state lock.
 */
final class Node {
  final String name;
  final String role;
  final boolean replica;
  final int weight;
  final HikariDataSource pool;
  final HikariDataSource probePool;
  /**
   * The pool's connections carry the read timeout from the driver (see {@code
   * ReplicaDialect.presetReadTimeout}); set once, before the node is published.
   */
  boolean readTimeoutPreset;

  volatile HealthSnapshot.Status status = HealthSnapshot.Status.UP;
  /** Whether the last probe or borrow failed; an ejected node needs passing probes to serve. */
  volatile boolean ejected;
  volatile long replayPosition = -1;
  volatile long lagNanos = LagTracker.UNKNOWN;
  volatile @Nullable String lastError;
  /** Written by the probe task only. */
  int passedProbes;
  @Nullable ScheduledFuture<?> probeTask;
  /** Counts ejections; registered with the data source's other meters. */
  io.micrometer.core.instrument.@Nullable Counter ejections;

  Node(String name, String role, int weight, HikariDataSource pool, HikariDataSource probePool) {
    this.name = name;
    this.role = role;
    this.replica = !role.equals("primary");
    this.weight = weight;
    this.pool = pool;
    this.probePool = probePool;
  }

  /** The pool's MXBean, or null once the pool is closed. */
  @Nullable HikariPoolMXBean mx() {
    return pool.getHikariPoolMXBean();
  }

  int active() {
    HikariPoolMXBean mx = mx();
    return mx == null ? 0 : mx.getActiveConnections();
  }

  @Override
  public String toString() {
    return name + "(" + role + ", " + status + ")";
  }
}
