package dev.scaleblocks.pooling;

import static dev.scaleblocks.core.internal.Checks.requireArgument;
import static dev.scaleblocks.core.internal.Checks.requireNonEmpty;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;
import static dev.scaleblocks.core.internal.Checks.requirePositive;
import static dev.scaleblocks.core.internal.Checks.requireUnset;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.Ticker;
import dev.scaleblocks.pooling.internal.ReplicaDialect;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * One primary and any number of read replicas, each a HikariCP pool, behind one {@link DataSource}.
 *
 * <h2>Routing</h2>
 *
 * <ul>
 *   <li>{@link #readWrite()} always borrows from the primary.
 *   <li>{@link #readOnly()} borrows from a serving replica (balanced by {@link Balancing}); with
 *       none serving, from the primary (with the connection set read-only).
 *   <li>{@link #readOnly(WriteToken)} borrows only from a replica known to have replayed the token's
 *       log position, else from the primary: the read sees that write.
 *   <li>{@link #getConnection()} hands out a lazy connection: nothing is borrowed until first real
 *       use, and a {@code setReadOnly(true)} before that sends it to a replica.
 *   <li>{@link #read}, {@link #write}: a callback API that also retries a read once when its
 *       replica connection is lost mid-work.
 * </ul>
 *
 * <h2>Replica health</h2>
 *
 * Each pool is probed on a shared scheduler every {@code healthCheckInterval}, on its own probe
 * connection with a timeout, so a probe never holds up a borrow. A replica that fails a probe, or
 * that fails to hand out a connection, or whose connection is lost or does not answer within the
 * {@linkplain Builder#readTimeout read timeout}, is ejected at once and the borrow is retried on
 * the next serving replica, then the primary; it is re-admitted after passing {@code readmitAfter}
 * consecutive probes. Every connection handed out for reading carries the read timeout as its JDBC
 * network timeout, so a replica that stops answering (a black hole: connections stay open, nothing
 * comes back) holds a read for at most that long. A replica whose replay lag exceeds {@code maxReplicationLag} is skipped
 * until it catches up. What is and is not retried: acquiring a connection always is; a statement
 * that fails on a replica that died under it is retried only by the callback API ({@link #read}),
 * since the work is then known to be a read.
 *
 * <h2>Shutdown</h2>
 *
 * {@link #drain(Duration)} stops new borrows, waits for borrowed connections to come back, then
 * closes every pool and reports what was still in use.
 *
 * <p>Thread-safe. A routed borrow costs HikariCP's borrow plus one volatile read and, for round-robin
 * replicas, one atomic increment; no lock and no allocation on that path. A read borrow also sets
 * the connection's network timeout (a field write in the driver's socket, restored by HikariCP when
 * the connection goes back).
 */
public interface ReadWriteDataSource extends DataSource, AutoCloseable {

  /** A new builder. */
  static Builder builder() {
    return new Builder();
  }

  /** The name given to the builder. */
  String name();

  /** Borrows from the primary. The returned view is cached; calling this costs nothing. */
  DataSource readWrite();

  /** Borrows from a serving replica, or the primary when none serves. */
  DataSource readOnly();

  /** Borrows from a replica that has replayed {@code token}, or the primary. Allocates one small view. */
  DataSource readOnly(WriteToken token);

  /**
   * Runs {@code work} on a read connection and closes it. If the connection is lost during the
   * work (a connection or shutdown error, including the {@linkplain Builder#readTimeout read
   * timeout} passing), a replica is ejected and the work runs once more on another serving replica
   * or the primary: {@code work} must be safe to run twice (a read). So a read takes at most about
   * two borrows plus two read timeouts, and a replica that stops answering fails no read.
   */
  <T extends @Nullable Object> T read(SqlFunction<T> work) throws SQLException;

  /** {@link #read(SqlFunction)} routed as {@link #readOnly(WriteToken)}. */
  <T extends @Nullable Object> T read(WriteToken token, SqlFunction<T> work) throws SQLException;

  /**
   * Runs {@code work} in one transaction on the primary, commits, and returns its result with the
   * token to read the write back. Rolls back and rethrows if {@code work} throws. Never retried.
   */
  <T extends @Nullable Object> Written<T> write(SqlFunction<T> work) throws SQLException;

  /**
   * The primary's current log position on {@code primaryConnection}: call it after the commit you
   * want to read back. One round trip.
   */
  WriteToken currentWriteToken(Connection primaryConnection) throws SQLException;

  /** What routing sees now, for a readiness endpoint. Reads in-memory state and pool counters only. */
  HealthSnapshot health();

  /**
   * Stops new borrows (they fail at once with an {@link SQLException} saying the data source is
   * draining), waits up to {@code deadline} for borrowed connections to come back, then closes every
   * pool. Connections still borrowed at the deadline are aborted by HikariCP and listed in the
   * report. Blocks the caller. A call made while another drain runs (or after it) waits for that
   * drain to finish and returns its report, whatever its own deadline: when any call returns, the
   * pools are closed.
   *
   * @throws IllegalArgumentException when {@code deadline} is negative or longer than 100 years
   */
  DrainReport drain(Duration deadline);

  /**
   * {@code drain(Duration.ZERO)}: closes at once, aborting connections still in use; during a drain,
   * waits for it to finish.
   */
  @Override
  void close();

  /** The default {@link Builder#readTimeout(Duration)}: 5 s. */
  Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(5);

  /**
   * Settings of a {@link ReadWriteDataSource}. Each option is checked when set and may be set once
   * (a second call throws {@link IllegalStateException}); {@link #replica} adds one each call. Not thread-safe.
   * The {@link Pools.Builder}s given to {@link #primary} and {@link #replica} are copied when
   * given: reusing or changing one afterwards does not change this data source.
   */
  final class Builder {
    private static final Duration DEFAULT_MAX_REPLICATION_LAG = Duration.ofSeconds(5);

    private @Nullable String name;
    private Pools.@Nullable Builder primary;
    private final List<Pools.Builder> replicas = new ArrayList<>();
    private final List<Integer> weights = new ArrayList<>();
    private @Nullable Balancing balancing;
    private @Nullable Duration healthCheckInterval;
    private @Nullable Duration probeTimeout;
    private @Nullable Duration readTimeout;
    private int readmitAfter; // 0: not set
    private boolean lagSet;
    private @Nullable Duration maxReplicationLag; // null when unbounded
    private @Nullable String shard;
    private @Nullable Telemetry telemetry;
    private @Nullable ScheduledExecutorService scheduler;
    private @Nullable Ticker ticker;

    Builder() {}

    /** Name in logs, metrics and errors. Default {@code rw}. */
    public Builder name(String name) {
      requireUnset(this.name != null, "name", this.name);
      this.name = requireNonEmpty(name, "name");
      return this;
    }

    /**
     * The primary's pool settings. Its pool name defaults to {@code <name>-primary}; its start fails
     * fast when the primary is unreachable (HikariCP's default).
     */
    public Builder primary(Pools.Builder primary) {
      requireUnset(this.primary != null, "primary");
      this.primary = requireNonNull(primary, "primary").copy();
      return this;
    }

    /** A replica with weight 1. */
    public Builder replica(Pools.Builder replica) {
      return replica(replica, 1);
    }

    /**
     * A replica; {@code weight} matters with {@link Balancing#WEIGHTED}. Its pool name defaults to
     * {@code <name>-replica-N}; it starts even when the replica is down (it is then ejected). Its
     * connections are read-only whatever {@link Pools.Builder#readOnly(boolean)} says.
     */
    public Builder replica(Pools.Builder replica, int weight) {
      requireNonNull(replica, "replica");
      requireArgument(weight >= 1 && weight <= 1000, "weight must be in [1, 1000] but was %s", weight);
      replicas.add(replica.copy());
      weights.add(weight);
      return this;
    }

    /** How reads are spread over serving replicas. Default {@link Balancing#ROUND_ROBIN}. */
    public Builder balancing(Balancing balancing) {
      requireUnset(this.balancing != null, "balancing", this.balancing);
      this.balancing = requireNonNull(balancing, "balancing");
      return this;
    }

    /** How often each pool is probed. At least 50 ms, at most 1 h. Default 1 s. */
    public Builder healthCheckInterval(Duration interval) {
      requireUnset(healthCheckInterval != null, "healthCheckInterval", pretty(healthCheckInterval));
      this.healthCheckInterval = within(interval, Duration.ofMillis(50), Duration.ofHours(1), "healthCheckInterval");
      return this;
    }

    /**
     * Longest a probe may take (borrowing its connection, then its query). At least 250 ms, at most
     * 1 h. Default 1 s.
     */
    public Builder probeTimeout(Duration timeout) {
      requireUnset(probeTimeout != null, "probeTimeout", pretty(probeTimeout));
      this.probeTimeout = within(timeout, Duration.ofMillis(250), Duration.ofHours(1), "probeTimeout");
      return this;
    }

    /**
     * Longest a read connection (from a replica, or from the primary when it serves a read) waits
     * for the database to answer: the JDBC network timeout set on every connection handed out for
     * reading. When it passes, the driver closes the connection and the statement fails with a
     * connection error; {@link ReadWriteDataSource#read} then retries once elsewhere, and a raw
     * connection's exception carries a suppressed {@link SQLException} naming the pool. A replica
     * that stops answering is also ejected. Set it above your slowest legitimate read. At least 100
     * ms, at most 24 h. Default 5 s. Write connections ({@link ReadWriteDataSource#readWrite()})
     * get no timeout: an ambiguous commit is worse than a slow one.
     */
    public Builder readTimeout(Duration timeout) {
      requireUnset(readTimeout != null, "readTimeout", pretty(readTimeout));
      this.readTimeout = within(timeout, Duration.ofMillis(100), Duration.ofHours(24), "readTimeout");
      return this;
    }

    private static @Nullable String pretty(@Nullable Duration value) {
      return value == null ? null : Pools.pretty(value);
    }

    private static Duration within(@Nullable Duration value, Duration min, Duration max, String name) {
      requireNonNull(value, name);
      requireArgument(
          value.compareTo(min) >= 0 && value.compareTo(max) <= 0,
          "%s must be in [%s, %s] but was %s",
          name,
          Pools.pretty(min),
          Pools.pretty(max),
          Pools.pretty(value));
      return value;
    }

    /** Consecutive passing probes before an ejected replica serves again. Default 2. */
    public Builder readmitAfter(int probes) {
      requireUnset(readmitAfter > 0, "readmitAfter", readmitAfter);
      this.readmitAfter = requirePositive(probes, "readmitAfter");
      return this;
    }

    /**
     * Replicas whose estimated replay lag exceeds {@code maxLag} are skipped for plain reads. Must
     * be longer than {@code healthCheckInterval} (the estimate's resolution). Default 5 s.
     */
    public Builder maxReplicationLag(Duration maxLag) {
      requireUnset(lagSet, "maxReplicationLag", maxReplicationLag == null ? "unbounded" : pretty(maxReplicationLag));
      this.maxReplicationLag = requirePositive(maxLag, "maxReplicationLag");
      lagSet = true;
      return this;
    }

    /**
     * No lag bound: replicas serve plain reads however far behind (token reads are still exact).
     * Sets the same option as {@link #maxReplicationLag}.
     */
    public Builder unboundedReplicationLag() {
      requireUnset(lagSet, "maxReplicationLag", maxReplicationLag == null ? "unbounded" : pretty(maxReplicationLag));
      this.maxReplicationLag = null;
      lagSet = true;
      return this;
    }

    /** Shard tag for every pool's metrics. Default none. */
    public Builder shard(String shard) {
      requireUnset(this.shard != null, "shard", this.shard);
      this.shard = requireNonEmpty(shard, "shard");
      return this;
    }

    /** Where metrics go, for every pool. Default {@link Telemetry#none()}. */
    public Builder telemetry(Telemetry telemetry) {
      requireUnset(this.telemetry != null, "telemetry");
      this.telemetry = requireNonNull(telemetry, "telemetry");
      return this;
    }

    /**
     * The scheduler for probes and every pool's housekeeping (see {@link Pools#newScheduler}); the
     * caller owns it. Default: a private two-thread daemon scheduler shut down by {@link #drain}.
     */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      requireUnset(this.scheduler != null, "scheduler");
      this.scheduler = requireNonNull(scheduler, "scheduler");
      return this;
    }

    /** Time source for lag estimates and drain timing. Default {@link Ticker#system()}. */
    public Builder ticker(Ticker ticker) {
      requireUnset(this.ticker != null, "ticker");
      this.ticker = requireNonNull(ticker, "ticker");
      return this;
    }

    /** Validates, starts every pool and the probes. */
    public ReadWriteDataSource build() {
      return new RoutingDataSource(settings());
    }

    /** The validated settings {@link #build()} starts from. */
    RoutingDataSource.Settings settings() {
      Pools.Builder p = primary;
      if (p == null) {
        throw new IllegalStateException("primary must be set");
      }
      Duration lag = lagSet ? maxReplicationLag : DEFAULT_MAX_REPLICATION_LAG;
      Duration healthCheckInterval = this.healthCheckInterval != null ? this.healthCheckInterval : Duration.ofSeconds(1);
      requireArgument(
          lag == null || lag.compareTo(healthCheckInterval) > 0,
          "maxReplicationLag must be longer than healthCheckInterval but was %s <= %s",
          lag,
          healthCheckInterval);
      return new RoutingDataSource.Settings(
              name != null ? name : "rw",
              p,
              List.copyOf(replicas),
              List.copyOf(weights),
              balancing != null ? balancing : Balancing.ROUND_ROBIN,
              healthCheckInterval,
              probeTimeout != null ? probeTimeout : Duration.ofSeconds(1),
              readTimeout != null ? readTimeout : DEFAULT_READ_TIMEOUT,
              readmitAfter > 0 ? readmitAfter : 2,
              lag,
              shard,
              telemetry != null ? telemetry : Telemetry.none(),
              scheduler,
              ticker != null ? ticker : Ticker.system(),
              ReplicaDialect.postgresql());
    }
  }
}
