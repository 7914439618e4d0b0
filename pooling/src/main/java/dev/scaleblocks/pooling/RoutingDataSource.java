package dev.scaleblocks.pooling;

import static dev.scaleblocks.core.internal.Checks.requireNonNegative;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.SQLExceptionOverride;
import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.Ticker;
import dev.scaleblocks.core.internal.OwnedMeters;
import dev.scaleblocks.pooling.internal.ReplicaDialect;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLNonTransientConnectionException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.LoggerFactory;

/**
 * The {@link ReadWriteDataSource} implementation.
 *
 * <p>Design: the borrow path reads one volatile {@link Route} (the replicas currently serving,
 * rebuilt under {@link #stateLock} whenever a node's status changes) and never takes a lock. Node
 * status changes come from two places: the probe tasks (one per pool, fixed delay, on the shared
 * scheduler, each on its own one-connection probe pool with a network timeout) and borrow failures
 * (which eject a replica at once, then retry elsewhere). The primary's probe also samples its write
 * position into the {@link LagTracker}, from which replica probes estimate lag.
 */
final class RoutingDataSource implements ReadWriteDataSource {

  private static final org.slf4j.Logger LOG = LoggerFactory.getLogger(RoutingDataSource.class);
  private static final int OPEN = 0;
  private static final int DRAINING = 1;
  private static final int CLOSED = 2;

  record Settings(
      String name,
      Pools.Builder primary,
      List<Pools.Builder> replicas,
      List<Integer> weights,
      Balancing balancing,
      Duration healthCheckInterval,
      Duration probeTimeout,
      Duration readTimeout,
      int readmitAfter,
      @Nullable Duration maxReplicationLag,
      @Nullable String shard,
      Telemetry telemetry,
      @Nullable ScheduledExecutorService scheduler,
      Ticker ticker,
      ReplicaDialect dialect) {}

  /** Replicas serving plain reads, and the weighted schedule over them. Immutable. */
  private static final class Route {
    final Node[] eligible;
    final int[] weighted;

    Route(Node[] eligible, int[] weighted) {
      this.eligible = eligible;
      this.weighted = weighted;
    }
  }

  private final String name;
  private final Settings settings;
  private final ReplicaDialect dialect;
  private final Ticker ticker;
  private final Node primary;
  private final Node[] replicas;
  private final Node[] all;
  private final Balancing balancing;
  private final long maxLagNanos;
  private final long probeTimeoutMillis;
  private final int readTimeoutMillis;
  private final ScheduledExecutorService scheduler;
  private final boolean ownsScheduler;
  private final LagTracker lag = new LagTracker(128);
  private final ReentrantLock stateLock = new ReentrantLock();
  private final AtomicInteger turn = new AtomicInteger();
  private final AtomicInteger state = new AtomicInteger(OPEN);
  private volatile Route route;
  private volatile long drainStartedNanos;
  /** Completed when the first drain has closed every pool; later drains wait for it. */
  private final CompletableFuture<DrainReport> drained = new CompletableFuture<>();

  private final DataSource readWriteView;
  private final DataSource readOnlyView;

  private final MeterRegistry registry;
  /** The group's own meters and its claim on its name; the pools' meters belong to the pools. */
  private final OwnedMeters meters;
  private final Counter fallbackNoReplica;
  private final Counter fallbackToken;
  private final Counter readRetries;

  RoutingDataSource(Settings s) {
    this.settings = s;
    this.name = s.name();
    this.dialect = s.dialect();
    this.ticker = s.ticker();
    this.balancing = s.balancing();
    Duration maxLag = s.maxReplicationLag();
    this.maxLagNanos = maxLag == null ? Long.MAX_VALUE : maxLag.toNanos();
    this.probeTimeoutMillis = s.probeTimeout().toMillis();
    this.readTimeoutMillis = (int) s.readTimeout().toMillis();
    this.registry = s.telemetry().meterRegistry();
    this.meters = OwnedMeters.claim(registry, "pool group", name);
    ScheduledExecutorService sched = s.scheduler();
    this.ownsScheduler = sched == null;
    this.scheduler = sched != null ? sched : Pools.newScheduler(name + "-housekeeping", 2);

    List<Node> started = new ArrayList<>();
    try {
      HikariConfig pc =
          s.primary().toConfig(name + "-primary", "primary", s.shard(), s.telemetry(), scheduler);
      LossWatcher primaryWatcher = watch(pc);
      this.primary = startNode(pc, "primary", 1, started);
      primaryWatcher.node = primary;
      this.replicas = new Node[s.replicas().size()];
      for (int i = 0; i < replicas.length; i++) {
        HikariConfig rc =
            s.replicas()
                .get(i)
                .toConfig(name + "-replica-" + (i + 1), "replica", s.shard(), s.telemetry(), scheduler);
        rc.setInitializationFailTimeout(-1);
        // a standby refuses writes anyway; read-only pools also spare the lazy connection's
        // setReadOnly(true) a reset when the connection goes back to the pool
        rc.setReadOnly(true);
        LossWatcher watcher = watch(rc);
        boolean preset = dialect.presetReadTimeout(rc, s.readTimeout());
        replicas[i] = startNode(rc, "replica", s.weights().get(i), started);
        replicas[i].readTimeoutPreset = preset;
        watcher.node = replicas[i];
      }
    } catch (RuntimeException e) {
      for (Node n : started) {
        n.pool.close();
        n.probePool.close();
      }
      if (ownsScheduler) {
        scheduler.shutdownNow();
      }
      meters.close();
      throw e;
    }
    this.all = new Node[replicas.length + 1];
    all[0] = primary;
    System.arraycopy(replicas, 0, all, 1, replicas.length);
    this.route = buildRoute();
    this.readWriteView = new View(this, Mode.WRITE, 0);
    this.readOnlyView = new View(this, Mode.READ, 0);

    Tags base = Tags.of("name", name, "shard", s.shard() == null ? "none" : s.shard());
    this.fallbackNoReplica =
        register(Counter.builder("scaleblocks.pooling.reads.primary")
            .description("reads served by the primary instead of a replica")
            .tags(base).tag("reason", "no_replica").register(registry));
    this.fallbackToken =
        register(Counter.builder("scaleblocks.pooling.reads.primary")
            .description("reads served by the primary instead of a replica")
            .tags(base).tag("reason", "token_not_replayed").register(registry));
    this.readRetries =
        register(Counter.builder("scaleblocks.pooling.reads.retried")
            .description("reads retried elsewhere after a replica failed to hand out or keep a connection")
            .tags(base).register(registry));
    for (Node n : all) {
      Tags t = Tags.of("pool", n.name, "role", n.role, "shard", s.shard() == null ? "none" : s.shard());
      register(Gauge.builder("scaleblocks.pooling.pool.up", n, x -> x.status == HealthSnapshot.Status.UP ? 1 : 0)
          .description("1 when the pool takes traffic, 0 when ejected or lagging")
          .tags(t).register(registry));
      n.ejections =
          register(Counter.builder("scaleblocks.pooling.pool.ejections")
              .description("times a pool was taken out of rotation")
              .tags(t).register(registry));
      if (n.replica) {
        register(Gauge.builder("scaleblocks.pooling.replica.lag", n, x -> x.lagNanos < 0 ? Double.NaN : x.lagNanos / 1e9)
            .description("estimated replay lag of the replica")
            .baseUnit("seconds").tags(t).register(registry));
      }
    }

    long interval = s.healthCheckInterval().toMillis();
    for (Node n : all) {
      n.probeTask = scheduler.scheduleWithFixedDelay(() -> probe(n), 0, interval, TimeUnit.MILLISECONDS);
    }
  }

  private <M extends Meter> M register(M meter) {
    return meters.add(meter);
  }

  /** Installs a {@link LossWatcher} on {@code config}, keeping any override the caller set. */
  private LossWatcher watch(HikariConfig config) {
    LossWatcher watcher = new LossWatcher(config.getExceptionOverride());
    config.setExceptionOverride(watcher);
    return watcher;
  }

  /**
   * Sees every {@link SQLException} thrown on a pooled connection before HikariCP decides to evict
   * it (on the thread that got it): a lost connection or a read timeout names the node on the
   * exception and ejects a replica at once, for raw connections as for callbacks.
   */
  private final class LossWatcher implements SQLExceptionOverride {
    private final @Nullable SQLExceptionOverride callerOverride;
    volatile @Nullable Node node;

    LossWatcher(@Nullable SQLExceptionOverride callerOverride) {
      this.callerOverride = callerOverride;
    }

    @java.lang.Override
    public SQLExceptionOverride.Override adjudicate(SQLException e) {
      Node n = node;
      if (n != null && isLostConnection(e)) {
        connectionLost(n, e);
      }
      return callerOverride != null ? callerOverride.adjudicate(e) : SQLExceptionOverride.Override.CONTINUE_EVICT;
    }
  }

  /** Attached to a driver's connection error: which node, and what routing did about it. */
  static final class NodeConnectionLost extends SQLNonTransientConnectionException {
    private static final long serialVersionUID = 1L;

    NodeConnectionLost(String message) {
      super(message, "08006");
    }
  }

  private void connectionLost(Node node, SQLException e) {
    for (Throwable s : e.getSuppressed()) {
      if (s instanceof NodeConnectionLost) {
        return; // already seen
      }
    }
    boolean timedOut = false;
    for (Throwable t = e; t != null && !timedOut; t = t.getCause()) {
      timedOut = t instanceof java.net.SocketTimeoutException || t instanceof java.sql.SQLTimeoutException;
    }
    String what =
        timedOut
            ? node.replica
                ? "did not answer within the read timeout of " + readTimeoutMillis + " ms"
                : "did not answer within the connection's network timeout"
            : "lost the connection";
    e.addSuppressed(
        new NodeConnectionLost(
            "data source '" + name + "': " + node.role + " '" + node.name + "' " + what
                + (node.replica ? "; ejected from reads until it passes " + settings.readmitAfter() + " probes" : "")));
    if (node.replica) {
      eject(node, what + ": " + e.getMessage());
    }
  }

  private Node startNode(HikariConfig config, String role, int weight, List<Node> started) {
    HikariDataSource pool = Pools.start(config);
    HikariDataSource probePool;
    try {
      HikariConfig probe = new HikariConfig();
      config.copyStateTo(probe);
      probe.setPoolName(config.getPoolName() + "-probe");
      probe.setMaximumPoolSize(1);
      probe.setMinimumIdle(1);
      probe.setIdleTimeout(0);
      probe.setMetricsTrackerFactory(null);
      probe.setExceptionOverride(null); // a failing probe ejects by itself, with its own message
      probe.setMetricRegistry(null);
      probe.setLeakDetectionThreshold(0);
      probe.setInitializationFailTimeout(-1);
      probe.setConnectionTimeout(Math.max(250, probeTimeoutMillis));
      probe.setValidationTimeout(250);
      probe.setReadOnly(false);
      probe.setAutoCommit(true);
      probePool = new HikariDataSource(probe);
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
    Node node = new Node(config.getPoolName(), role, weight, pool, probePool);
    started.add(node);
    return node;
  }

  // ------------------------------------------------------------------ routing (hot path)

  enum Mode {
    WRITE,
    READ
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public DataSource readWrite() {
    return readWriteView;
  }

  @Override
  public DataSource readOnly() {
    return readOnlyView;
  }

  @Override
  public DataSource readOnly(WriteToken token) {
    requireNonNull(token, "token");
    return token.position() == 0 ? readOnlyView : new View(this, Mode.READ, token.position());
  }

  /** Receives the node that handed out a connection. Not thread-safe. */
  static class ServedBy {
    @Nullable Node node;
  }

  Connection borrowWrite() throws SQLException {
    checkOpen();
    return primary.pool.getConnection();
  }

  Connection borrowWrite(ServedBy servedBy) throws SQLException {
    checkOpen();
    Connection c = primary.pool.getConnection();
    servedBy.node = primary;
    return c;
  }

  /**
   * Borrows a read connection. {@code token} 0 means a plain read. {@code servedBy}, when given,
   * receives the node that handed out the connection.
   */
  Connection borrowRead(long token, @Nullable ServedBy servedBy) throws SQLException {
    checkOpen();
    Route r = route;
    Node[] eligible = r.eligible;
    int n = eligible.length;
    if (n != 0) {
      int start = pick(r);
      for (int i = 0; i < n; i++) {
        Node node = eligible[i == 0 ? start : (start + i) % n];
        if (token != 0 && !satisfies(node.replayPosition, token)) {
          continue;
        }
        try {
          Connection c = node.readTimeoutPreset
              ? node.pool.getConnection()
              : withReadTimeout(node.pool.getConnection());
          if (servedBy != null) {
            servedBy.node = node;
          }
          return c;
        } catch (SQLException e) {
          replicaBorrowFailed(node, e);
        }
      }
    }
    (token == 0 || n == 0 ? fallbackNoReplica : fallbackToken).increment();
    Connection c = primary.pool.getConnection();
    try {
      c.setReadOnly(true);
    } catch (SQLException e) {
      c.close();
      throw e;
    }
    withReadTimeout(c);
    if (servedBy != null) {
      servedBy.node = primary;
    }
    return c;
  }

  private static final Executor DIRECT = Runnable::run;

  /**
   * Sets the read timeout as the connection's network timeout (HikariCP restores the pool's value
   * when the connection goes back). A field write in the driver's socket; no round trip.
   */
  private Connection withReadTimeout(Connection c) throws SQLException {
    try {
      c.setNetworkTimeout(DIRECT, readTimeoutMillis);
    } catch (SQLException | RuntimeException e) {
      try {
        c.close();
      } catch (SQLException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    return c;
  }

  private static boolean satisfies(long replayed, long token) {
    return replayed != -1 && Long.compareUnsigned(replayed, token) >= 0;
  }

  private int pick(Route r) {
    Node[] eligible = r.eligible;
    int n = eligible.length;
    if (n == 1) {
      return 0;
    }
    switch (balancing) {
      case WEIGHTED:
        int[] w = r.weighted;
        return w[Math.floorMod(turn.getAndIncrement(), w.length)];
      case LEAST_ACTIVE:
        int offset = Math.floorMod(turn.getAndIncrement(), n);
        int best = offset;
        int bestActive = Integer.MAX_VALUE;
        for (int i = 0; i < n; i++) {
          int idx = (offset + i) % n;
          int active = eligible[idx].active();
          if (active < bestActive) {
            best = idx;
            bestActive = active;
          }
        }
        return best;
      case ROUND_ROBIN:
      default:
        return Math.floorMod(turn.getAndIncrement(), n);
    }
  }

  private void checkOpen() throws SQLException {
    if (state.get() != OPEN) {
      throw notOpen();
    }
  }

  private SQLException notOpen() {
    if (state.get() == DRAINING) {
      long ms = TimeUnit.NANOSECONDS.toMillis(ticker.read() - drainStartedNanos);
      return new SQLNonTransientConnectionException(
          "data source '" + name + "' is draining for shutdown (since " + ms + " ms): no new connections", "08003");
    }
    return new SQLNonTransientConnectionException("data source '" + name + "' is closed: no new connections", "08003");
  }

  private void replicaBorrowFailed(Node node, SQLException e) {
    readRetries.increment();
    // A timeout with a cause means the pool could not open connections: the replica is down.
    // A timeout without one means it is merely saturated: go elsewhere but keep it.
    if (e.getCause() != null || (dialect.isConnectionLoss(e) && !(e instanceof java.sql.SQLTransientConnectionException))) {
      eject(node, "borrow failed: " + e.getMessage());
    } else {
      LOG.debug("{}: replica {} saturated, reading elsewhere: {}", name, node.name, e.getMessage());
    }
  }

  // ------------------------------------------------------------------ callbacks

  @Override
  public <T extends @Nullable Object> T read(SqlFunction<T> work) throws SQLException {
    return read(WriteToken.NONE, work);
  }

  @Override
  public <T extends @Nullable Object> T read(WriteToken token, SqlFunction<T> work) throws SQLException {
    requireNonNull(token, "token");
    requireNonNull(work, "work");
    ServedBy servedBy = new ServedBy();
    try (Connection c = borrowRead(token.position(), servedBy)) {
      return work.apply(c);
    } catch (SQLException e) {
      Node node = servedBy.node;
      if (node == null || !isLostConnection(e)) {
        throw e;
      }
      readRetries.increment();
      if (node.replica) {
        eject(node, "connection lost during a read: " + e.getMessage());
      }
      try (Connection c = borrowRead(token.position(), null)) {
        return work.apply(c);
      } catch (SQLException again) {
        again.addSuppressed(e);
        throw again;
      }
    }
  }

  private static boolean isLostConnection(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException) {
        String st = ((SQLException) t).getSQLState();
        if (st != null && (st.startsWith("08") || st.startsWith("57P"))) {
          return true;
        }
      }
    }
    return false;
  }

  @Override
  public <T extends @Nullable Object> Written<T> write(SqlFunction<T> work) throws SQLException {
    requireNonNull(work, "work");
    try (Connection c = borrowWrite()) {
      c.setAutoCommit(false);
      T value;
      try {
        value = work.apply(c);
        c.commit();
      } catch (SQLException | RuntimeException | Error e) {
        try {
          c.rollback();
        } catch (SQLException rollback) {
          e.addSuppressed(rollback);
        }
        throw e;
      }
      c.setAutoCommit(true);
      return new Written<>(value, currentWriteToken(c));
    }
  }

  @Override
  public WriteToken currentWriteToken(Connection primaryConnection) throws SQLException {
    requireNonNull(primaryConnection, "primaryConnection");
    return WriteToken.of(dialect.currentWritePosition(primaryConnection));
  }

  // ------------------------------------------------------------------ lazy connections

  @Override
  public Connection getConnection() throws SQLException {
    checkOpen();
    return new LazyConnection(this);
  }

  boolean isOpen() {
    return state.get() == OPEN;
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    throw new SQLFeatureNotSupportedException(
        "data source '" + name + "' uses the credentials of its pools; getConnection(user, password) is not supported");
  }

  // ------------------------------------------------------------------ health

  private void probe(Node node) {
    if (state.get() != OPEN) {
      return;
    }
    try {
      ReplicaDialect.ReplicaStatus status = null;
      long position = -1;
      try (Connection c = node.probePool.getConnection()) {
        c.setNetworkTimeout(Runnable::run, (int) probeTimeoutMillis);
        if (node.replica) {
          status = dialect.replicaStatus(c);
        } else {
          position = dialect.currentWritePosition(c);
        }
      }
      long now = ticker.read();
      if (status == null) { // the primary: only replicas are asked for their status
        lag.record(now, position);
        probePassed(node, 0);
        return;
      }
      if (!status.inRecovery()) {
        probeFailed(node, "not in recovery: the server was promoted and is no longer a replica");
        return;
      }
      node.replayPosition = status.replayPosition();
      probePassed(node, lag.lagNanos(status.replayPosition(), now));
    } catch (SQLException | RuntimeException e) {
      probeFailed(node, "probe failed: " + e.getMessage());
    }
  }

  private void probePassed(Node node, long lagNanos) {
    node.lagNanos = lagNanos;
    stateLock.lock();
    try {
      HealthSnapshot.Status before = node.status;
      if (node.ejected) {
        node.passedProbes++;
        if (node.passedProbes < settings.readmitAfter()) {
          return;
        }
        node.ejected = false;
        LOG.info("{}: {} passed {} probes, serving again", name, node.name, node.passedProbes);
      }
      node.lastError = null;
      HealthSnapshot.Status now =
          node.replica && lagNanos > maxLagNanos ? HealthSnapshot.Status.LAGGING : HealthSnapshot.Status.UP;
      if (now == HealthSnapshot.Status.LAGGING) {
        node.lastError = "replay lag " + TimeUnit.NANOSECONDS.toMillis(lagNanos) + " ms exceeds the bound";
      }
      if (now != before) {
        if (now == HealthSnapshot.Status.LAGGING) {
          LOG.warn("{}: {} lags {} ms behind the primary, skipped for reads", name, node.name, TimeUnit.NANOSECONDS.toMillis(lagNanos));
        }
        node.status = now;
        route = buildRoute();
      }
    } finally {
      stateLock.unlock();
    }
  }

  private void probeFailed(Node node, String reason) {
    eject(node, reason);
  }

  /** Ejects {@code node} at once (no-op for the primary's routing, which has nowhere else to go). */
  private void eject(Node node, String reason) {
    boolean changed;
    stateLock.lock();
    try {
      node.passedProbes = 0;
      node.lastError = reason;
      changed = !node.ejected;
      node.ejected = true;
      node.status = HealthSnapshot.Status.EJECTED;
      if (changed) {
        route = buildRoute();
      }
    } finally {
      stateLock.unlock();
    }
    if (changed) {
      LOG.warn("{}: {} ejected: {}", name, node.name, reason);
      Counter ejections = node.ejections;
      if (ejections != null) {
        ejections.increment();
      }
      HikariPoolMXBean mx = node.mx();
      if (mx != null && node.replica) {
        mx.softEvictConnections();
      }
    }
  }

  private Route buildRoute() {
    List<Node> up = new ArrayList<>();
    for (Node n : replicas) {
      if (n.status == HealthSnapshot.Status.UP) {
        up.add(n);
      }
    }
    Node[] eligible = up.toArray(new Node[0]);
    int total = 0;
    for (Node n : eligible) {
      total += n.weight;
    }
    int[] weighted = new int[Math.max(1, total)];
    // interleave: smooth weighted round-robin order (nginx) so heavy replicas are not hit in bursts
    int[] current = new int[eligible.length];
    for (int k = 0; k < total; k++) {
      int best = 0;
      for (int i = 0; i < eligible.length; i++) {
        current[i] += eligible[i].weight;
        if (current[i] > current[best]) {
          best = i;
        }
      }
      current[best] -= total;
      weighted[k] = best;
    }
    return new Route(eligible, weighted);
  }

  @Override
  public HealthSnapshot health() {
    int st = state.get();
    HealthSnapshot.State s =
        st == OPEN ? HealthSnapshot.State.OPEN : st == DRAINING ? HealthSnapshot.State.DRAINING : HealthSnapshot.State.CLOSED;
    List<HealthSnapshot.PoolHealth> pools = new ArrayList<>();
    for (Node n : all) {
      HikariPoolMXBean mx = n.mx();
      long lagNanos = n.lagNanos;
      pools.add(
          new HealthSnapshot.PoolHealth(
              n.name,
              n.role,
              settings.shard(),
              n.status,
              mx == null ? 0 : mx.getActiveConnections(),
              mx == null ? 0 : mx.getIdleConnections(),
              mx == null ? 0 : mx.getThreadsAwaitingConnection(),
              !n.replica || lagNanos < 0 ? null : Duration.ofNanos(lagNanos),
              n.lastError));
    }
    return new HealthSnapshot(name, s, pools);
  }

  // ------------------------------------------------------------------ drain

  @Override
  public DrainReport drain(Duration deadline) {
    requireNonNegative(deadline, "deadline");
    boolean first;
    stateLock.lock();
    try {
      first = state.get() == OPEN;
      if (first) {
        drainStartedNanos = ticker.read();
        state.set(DRAINING);
      }
    } finally {
      stateLock.unlock();
    }
    if (!first) {
      return drained.join(); // the first drain's outcome, once its pools are closed
    }
    try {
      DrainReport report = drainOnce(deadline);
      drained.complete(report);
      return report;
    } catch (RuntimeException | Error e) {
      drained.completeExceptionally(e);
      throw e;
    }
  }

  private DrainReport drainOnce(Duration deadline) {
    long start = drainStartedNanos;
    for (Node n : all) {
      ScheduledFuture<?> task = n.probeTask;
      if (task != null) {
        task.cancel(false);
      }
    }
    int[] atStart = new int[all.length];
    for (int i = 0; i < all.length; i++) {
      atStart[i] = all[i].active();
    }
    long limit = deadline.toNanos();
    while (inUse() > 0 && ticker.read() - start < limit) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
    List<DrainReport.PoolDrain> lines = new ArrayList<>();
    boolean clean = true;
    for (int i = 0; i < all.length; i++) {
      int left = all[i].active();
      clean &= left == 0;
      lines.add(new DrainReport.PoolDrain(all[i].name, all[i].role, atStart[i], left));
      if (left > 0) {
        LOG.warn("{}: {} still had {} connections in use at the drain deadline; closing aborts them", name, all[i].name, left);
      }
    }
    Duration waited = Duration.ofNanos(Math.max(0, ticker.read() - start));
    for (Node n : all) {
      n.pool.close();
      n.probePool.close();
    }
    meters.close();
    if (ownsScheduler) {
      scheduler.shutdownNow();
    }
    state.set(CLOSED);
    return new DrainReport(clean, waited, lines);
  }

  private int inUse() {
    int n = 0;
    for (Node node : all) {
      n += node.active();
    }
    return n;
  }

  @Override
  public void close() {
    drain(Duration.ZERO);
  }

  // ------------------------------------------------------------------ DataSource plumbing

  @Override
  public PrintWriter getLogWriter() throws SQLException {
    return primary.pool.getLogWriter();
  }

  @Override
  public void setLogWriter(PrintWriter out) throws SQLException {
    primary.pool.setLogWriter(out);
  }

  @Override
  public void setLoginTimeout(int seconds) throws SQLException {
    primary.pool.setLoginTimeout(seconds);
  }

  @Override
  public int getLoginTimeout() throws SQLException {
    return primary.pool.getLoginTimeout();
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    throw new SQLFeatureNotSupportedException("java.util.logging is not used; scaleblocks logs through SLF4J");
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    if (iface.isInstance(this)) {
      return iface.cast(this);
    }
    throw new SQLException("data source '" + name + "' does not wrap " + iface.getName());
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) {
    return iface.isInstance(this);
  }

  @Override
  public String toString() {
    return "ReadWriteDataSource[" + name + ", primary=" + primary + ", replicas=" + java.util.Arrays.toString(replicas) + "]";
  }

  /** A routed view: {@link #readWrite()}, {@link #readOnly()} or a token read. */
  private static final class View implements DataSource {
    private final RoutingDataSource owner;
    private final Mode mode;
    private final long token;

    View(RoutingDataSource owner, Mode mode, long token) {
      this.owner = owner;
      this.mode = mode;
      this.token = token;
    }

    @Override
    public Connection getConnection() throws SQLException {
      return mode == Mode.WRITE ? owner.borrowWrite() : owner.borrowRead(token, null);
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
      return owner.getConnection(username, password);
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
      return owner.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
      owner.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
      owner.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
      return owner.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
      return owner.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
      if (iface.isInstance(this)) {
        return iface.cast(this);
      }
      return owner.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
      return iface.isInstance(this) || owner.isWrapperFor(iface);
    }

    @Override
    public String toString() {
      return owner.name + (mode == Mode.WRITE ? ".readWrite()" : token == 0 ? ".readOnly()" : ".readOnly(" + WriteToken.of(token) + ")");
    }
  }
}
