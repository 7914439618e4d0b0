package dev.scaleblocks.pooling;

import static dev.scaleblocks.core.internal.Checks.requireArgument;
import static dev.scaleblocks.core.internal.Checks.requireNonNegative;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;
import static dev.scaleblocks.core.internal.Checks.requirePositive;

import dev.scaleblocks.pooling.internal.ReplicaDialect;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import javax.sql.DataSource;

/**
 * Pool-size arithmetic that explains itself. Every method returns the number and the reasoning, so
 * the figure can be pasted into a review.
 *
 * <ul>
 *   <li>{@link #hikariFormula}: HikariCP's wiki, {@code connections = cores × 2 + effective
 *       spindles}, where cores are the <em>database server's</em> cores.
 *   <li>{@link #littlesLaw}: connections busy on average = throughput × mean time a connection is
 *       held (L = λW), plus headroom.
 *   <li>{@link #deadlockFloor}: when each task holds up to {@code m} connections at once, a pool of
 *       {@code threads × (m − 1) + 1} cannot deadlock.
 *   <li>{@link #budget}: the sum over all instances and pools must fit the server's {@code
 *       max_connections} minus a reserve (superuser slots, migrations, consoles).
 * </ul>
 *
 * <p>Stateless and thread-safe; all methods are arithmetic except {@link #budget(DataSource, int,
 * int, int)}, which makes one query.
 */
public final class PoolSizing {

  /**
   * The largest size an estimate may reach: 100 000 connections. No database server accepts more
   * (PostgreSQL's {@code max_connections} tops out at 262 143, and each connection costs it a
   * process); inputs that need more are refused with an {@link IllegalArgumentException} naming
   * them, rather than returning a figure nobody can use.
   */
  public static final int MAX_ESTIMATE = 100_000;

  private PoolSizing() {}

  /** A pool size and how it was reached. Immutable. */
  public static final class Estimate {
    private final int size;
    private final String explanation;

    Estimate(int size, String explanation) {
      this.size = size;
      this.explanation = explanation;
    }

    /** The recommended maximum pool size. */
    public int size() {
      return size;
    }

    /** How the size was computed, one sentence with the numbers. */
    public String explanation() {
      return explanation;
    }

    /** The larger of this estimate and {@code other}, with both explanations. */
    public Estimate atLeast(Estimate other) {
      requireNonNull(other, "other");
      Estimate big = other.size > size ? other : this;
      Estimate small = big == this ? other : this;
      return new Estimate(
          big.size, big.explanation + "; it is not below the other bound (" + small.explanation + ")");
    }

    @Override
    public String toString() {
      return size + " (" + explanation + ")";
    }
  }

  /** Whether a pool size fits the server's connection budget. Immutable. */
  public static final class Budget {
    private final boolean fits;
    private final int requested;
    private final int usable;
    private final int maxPoolSizePerInstance;
    private final String explanation;

    Budget(boolean fits, int requested, int usable, int maxPoolSizePerInstance, String explanation) {
      this.fits = fits;
      this.requested = requested;
      this.usable = usable;
      this.maxPoolSizePerInstance = maxPoolSizePerInstance;
      this.explanation = explanation;
    }

    /** Whether instances × connections per instance fits the usable connections. */
    public boolean fits() {
      return fits;
    }

    /** Connections all instances may open together. */
    public int requested() {
      return requested;
    }

    /** Connections the server allows minus the reserve. */
    public int usable() {
      return usable;
    }

    /** The largest per-instance total that fits: usable / instances. */
    public int maxPoolSizePerInstance() {
      return maxPoolSizePerInstance;
    }

    /** The arithmetic in one sentence. */
    public String explanation() {
      return explanation;
    }

    @Override
    public String toString() {
      return (fits ? "fits: " : "does not fit: ") + explanation;
    }
  }

  /**
   * HikariCP's wiki formula: {@code serverCores × 2 + effectiveSpindles}. Effective spindles are 0
   * when the working set is cached, about the disk count for spinning disks; SSD-backed servers are
   * usually sized with 1.
   */
  public static Estimate hikariFormula(int serverCores, int effectiveSpindles) {
    requirePositive(serverCores, "serverCores");
    requireNonNegative(effectiveSpindles, "effectiveSpindles");
    long computed = Math.max(1, serverCores * 2L + effectiveSpindles);
    requireArgument(
        computed <= MAX_ESTIMATE,
        "serverCores × 2 + effectiveSpindles must be at most %s connections but was %s × 2 + %s = %s",
        MAX_ESTIMATE,
        serverCores,
        effectiveSpindles,
        computed);
    int size = (int) computed;
    return new Estimate(
        size,
        "HikariCP wiki formula: "
            + serverCores
            + " cores × 2 + "
            + effectiveSpindles
            + " effective spindles = "
            + size);
  }

  /**
   * Little's law: connections busy on average = {@code requestsPerSecond × meanHoldTime}, rounded up
   * and multiplied by {@code headroom} (≥ 1, e.g. 1.2 for bursts).
   *
   * @throws IllegalArgumentException naming {@code requestsPerSecond} and {@code meanHoldTime} when
   *     the estimate exceeds {@link #MAX_ESTIMATE} connections
   */
  public static Estimate littlesLaw(double requestsPerSecond, Duration meanHoldTime, double headroom) {
    requirePositive(requestsPerSecond, "requestsPerSecond");
    requirePositive(meanHoldTime, "meanHoldTime");
    requireArgument(headroom >= 1.0 && headroom <= 100.0, "headroom must be in [1.0, 100.0] but was %s", headroom);
    double seconds = meanHoldTime.getSeconds() + meanHoldTime.getNano() / 1e9;
    double busy = requestsPerSecond * seconds;
    double needed = Math.max(1, Math.ceil(busy * headroom - 1e-9));
    requireArgument(
        needed <= MAX_ESTIMATE,
        "requestsPerSecond × meanHoldTime × headroom must be at most %s connections but was %s req/s × %s × %s = %s",
        MAX_ESTIMATE,
        requestsPerSecond,
        meanHoldTime,
        headroom,
        String.format(java.util.Locale.ROOT, "%.4g", busy * headroom));
    int size = (int) needed;
    return new Estimate(
        size,
        "Little's law: "
            + fmt(requestsPerSecond)
            + " req/s × "
            + fmt(seconds * 1000)
            + " ms = "
            + fmt(busy)
            + " busy connections on average, × "
            + fmt(headroom)
            + " headroom = "
            + size);
  }

  /**
   * The smallest pool that cannot deadlock when {@code threads} tasks each hold up to {@code
   * connectionsPerTask} connections at once: {@code threads × (connectionsPerTask − 1) + 1}.
   */
  public static Estimate deadlockFloor(int threads, int connectionsPerTask) {
    requirePositive(threads, "threads");
    requirePositive(connectionsPerTask, "connectionsPerTask");
    long size = (long) threads * (connectionsPerTask - 1) + 1;
    requireArgument(size <= Integer.MAX_VALUE, "threads × connectionsPerTask is too large: %s", size);
    return new Estimate(
        (int) size,
        "deadlock floor: "
            + threads
            + " threads × ("
            + connectionsPerTask
            + " connections per task − 1) + 1 = "
            + size);
  }

  /**
   * Checks {@code instances × connectionsPerInstance} against {@code maxConnections − reserve}.
   * {@code connectionsPerInstance} is the sum of every pool's maximum an instance opens to this
   * server (including probe connections).
   */
  public static Budget budget(int instances, int connectionsPerInstance, int maxConnections, int reserve) {
    requirePositive(instances, "instances");
    requirePositive(connectionsPerInstance, "connectionsPerInstance");
    requirePositive(maxConnections, "maxConnections");
    requireNonNegative(reserve, "reserve");
    requireArgument(reserve < maxConnections, "reserve must be below maxConnections but was %s >= %s", reserve, maxConnections);
    long requested = (long) instances * connectionsPerInstance;
    int usable = maxConnections - reserve;
    boolean fits = requested <= usable;
    int perInstance = usable / instances;
    String explanation =
        instances
            + " instances × "
            + connectionsPerInstance
            + " connections = "
            + requested
            + (fits ? " ≤ " : " > ")
            + usable
            + " usable ("
            + maxConnections
            + " max_connections − "
            + reserve
            + " reserve)"
            + (fits ? "" : "; at most " + perInstance + " per instance fit");
    return new Budget(fits, (int) Math.min(requested, Integer.MAX_VALUE), usable, perInstance, explanation);
  }

  /**
   * {@link #budget(int, int, int, int)} with {@code maxConnections} read from the server behind
   * {@code dataSource} (PostgreSQL: {@code max_connections − superuser_reserved_connections}).
   * Borrows one connection for one query.
   */
  public static Budget budget(DataSource dataSource, int instances, int connectionsPerInstance, int reserve)
      throws SQLException {
    requireNonNull(dataSource, "dataSource");
    int limit;
    try (Connection c = dataSource.getConnection()) {
      limit = ReplicaDialect.postgresql().usableConnectionLimit(c);
    }
    return budget(instances, connectionsPerInstance, limit, reserve);
  }

  private static String fmt(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    return String.format(java.util.Locale.ROOT, "%.2f", v);
  }
}
