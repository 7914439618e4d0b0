package dev.scaleblocks.pooling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.testing.TcpProxy;
import dev.scaleblocks.core.testing.TestServices;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Against the real PostgreSQL primary (5432) and its streaming standby (5433). */
class ReadWriteDataSourceIT {

  private static final String DB = "sb_pooling_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 8);
  private static InetSocketAddress primaryAddr;
  private static InetSocketAddress replicaAddr;
  private final List<AutoCloseable> closeLater = new ArrayList<>();

  @BeforeAll
  static void createDatabase() throws Exception {
    primaryAddr = TestServices.postgresPrimary();
    replicaAddr = TestServices.postgresReplica();
    try (Connection c = DriverManager.getConnection(TestServices.postgresPrimaryUrl("postgres"), TestServices.postgresUser(), "");
        Statement st = c.createStatement()) {
      st.execute("create database " + DB);
    }
    try (Connection c = DriverManager.getConnection(TestServices.postgresPrimaryUrl(DB), TestServices.postgresUser(), "");
        Statement st = c.createStatement()) {
      st.execute("create table item (id bigint primary key, note text not null)");
    }
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
      try (Connection c = replicaDirect(); Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("select count(*) from item")) {
        return rs.next();
      }
    });
  }

  @AfterAll
  static void dropDatabase() throws Exception {
    resumeReplay();
    try (Connection c = DriverManager.getConnection(TestServices.postgresPrimaryUrl("postgres"), TestServices.postgresUser(), "");
        Statement st = c.createStatement()) {
      st.execute("drop database if exists " + DB + " with (force)");
    }
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : closeLater) {
      c.close();
    }
    resumeReplay();
  }

  private static Connection replicaDirect() throws SQLException {
    return DriverManager.getConnection(TestServices.postgresReplicaUrl(DB), TestServices.postgresUser(), "");
  }

  private static void resumeReplay() throws SQLException {
    try (Connection c = DriverManager.getConnection(TestServices.postgresReplicaUrl("postgres"), TestServices.postgresUser(), "");
        Statement st = c.createStatement()) {
      st.execute("select pg_wal_replay_resume() where pg_is_wal_replay_paused()");
    }
  }

  private static Pools.Builder pool(InetSocketAddress at, String appName) {
    return pool(at, appName, 4, 1, Duration.ofSeconds(1));
  }

  /** Each option once: a builder refuses an option set twice. */
  private static Pools.Builder pool(InetSocketAddress at, String appName, int maximumPoolSize,
      int minimumIdle, Duration connectionTimeout) {
    return Pools.builder()
        .postgresql(at.getHostString(), at.getPort(), DB)
        .credentials(TestServices.postgresUser(), null)
        .maximumPoolSize(maximumPoolSize)
        .minimumIdle(minimumIdle)
        .connectionTimeout(connectionTimeout)
        .dataSourceProperty("ApplicationName", appName);
  }

  private ReadWriteDataSource.Builder rw(Pools.Builder... replicas) {
    ReadWriteDataSource.Builder b =
        ReadWriteDataSource.builder()
            .name("it")
            .primary(pool(primaryAddr, "primary"))
            .healthCheckInterval(Duration.ofMillis(100))
            .probeTimeout(Duration.ofMillis(500))
            .maxReplicationLag(Duration.ofSeconds(1));
    for (Pools.Builder r : replicas) {
      b.replica(r);
    }
    return b;
  }

  private <T extends AutoCloseable> T later(T c) {
    closeLater.add(c);
    return c;
  }

  /** Which pool served: the application name, and whether the server is a standby. */
  private static String where(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("select current_setting('application_name'), pg_is_in_recovery()")) {
      rs.next();
      return rs.getString(1) + (rs.getBoolean(2) ? "@standby" : "@primary");
    }
  }

  private static String where(DataSource ds) throws SQLException {
    try (Connection c = ds.getConnection()) {
      return where(c);
    }
  }

  private static long insert(Connection c, String note) throws SQLException {
    long id = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
    try (Statement st = c.createStatement()) {
      st.executeUpdate("insert into item values (" + id + ", '" + note + "')");
    }
    return id;
  }

  private static boolean sees(Connection c, long id) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select 1 from item where id = " + id)) {
      return rs.next();
    }
  }

  @Test
  void writesLandOnThePrimaryAndReadsOnTheReplica() throws Exception {
    ReadWriteDataSource ds = later(rw(pool(replicaAddr, "r1")).build());
    assertThat(where(ds.readWrite())).isEqualTo("primary@primary");
    assertThat(where(ds.readOnly())).isEqualTo("r1@standby");
    try (Connection c = ds.readOnly().getConnection()) {
      assertThat(c.isReadOnly()).as("replica pools hand out read-only connections").isTrue();
    }
    try (Connection c = ds.readWrite().getConnection()) {
      assertThat(c.isReadOnly()).isFalse();
    }

    long id;
    try (Connection c = ds.readWrite().getConnection()) {
      id = insert(c, "written");
    }
    assertThatThrownBy(() -> { try (Connection c = ds.readOnly().getConnection()) { insert(c, "nope"); } })
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("read-only");
    await().atMost(Duration.ofSeconds(10)).until(() -> ds.read(c -> sees(c, id)));
  }

  @Test
  void setReadOnlyBeforeFirstUseRoutesTheLazyConnection() throws Exception {
    ReadWriteDataSource ds = later(rw(pool(replicaAddr, "r1")).build());
    try (Connection c = ds.getConnection()) {
      c.setReadOnly(true);
      assertThat(c.isReadOnly()).isTrue();
      assertThat(where(c)).isEqualTo("r1@standby");
    }
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      long id = insert(c, "lazy");
      assertThat(where(c)).isEqualTo("primary@primary");
      c.rollback();
      assertThat(sees(c, id)).isFalse();
    }
    try (Connection c = ds.getConnection()) {
      // never used: nothing borrowed
      assertThat(c.toString()).contains("not borrowed");
    }

    try (Connection c = ds.getConnection()) {
      // settings made before first use reach the borrowed connection
      c.setReadOnly(true);
      c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      c.setSchema("pg_catalog");
      c.setNetworkTimeout(Runnable::run, 4321);
      assertThat(where(c)).isEqualTo("r1@standby");
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("select current_setting('transaction_isolation'), current_schema()")) {
        rs.next();
        assertThat(rs.getString(1)).isEqualTo("repeatable read");
        assertThat(rs.getString(2)).isEqualTo("pg_catalog");
      }
      assertThat(c.getNetworkTimeout()).isEqualTo(4321);
      assertThat(c.isValid(1)).isTrue();
      assertThat(c.getMetaData().getDatabaseProductName()).isEqualTo("PostgreSQL");
    }
    // abort after use: the aborted connection leaves its pool instead of going back to it
    Connection aborted = ds.getConnection();
    assertThat(where(aborted)).isEqualTo("primary@primary");
    aborted.abort(Runnable::run);
    assertThat(aborted.isClosed()).isTrue();
    await().atMost(Duration.ofSeconds(5)).until(() -> ds.health().pools().get(0).active() == 0);
    assertThat(where(ds.readWrite())).isEqualTo("primary@primary");
  }

  @Test
  void roundRobinWeightedAndLeastActiveBalancing() throws Exception {
    ReadWriteDataSource rr = later(rw(pool(replicaAddr, "r1"), pool(replicaAddr, "r2")).build());
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 20; i++) {
      counts.merge(where(rr.readOnly()), 1, Integer::sum);
    }
    assertThat(counts).containsOnly(Map.entry("r1@standby", 10), Map.entry("r2@standby", 10));

    ReadWriteDataSource weighted =
        later(rw().replica(pool(replicaAddr, "w3"), 3).replica(pool(replicaAddr, "w1"), 1).balancing(Balancing.WEIGHTED).build());
    counts.clear();
    for (int i = 0; i < 40; i++) {
      counts.merge(where(weighted.readOnly()), 1, Integer::sum);
    }
    assertThat(counts).containsOnly(Map.entry("w3@standby", 30), Map.entry("w1@standby", 10));

    ReadWriteDataSource least =
        later(rw(pool(replicaAddr, "a"), pool(replicaAddr, "b")).balancing(Balancing.LEAST_ACTIVE).build());
    try (Connection held = least.readOnly().getConnection()) {
      String busy = where(held);
      String other = busy.equals("a@standby") ? "b@standby" : "a@standby";
      for (int i = 0; i < 5; i++) {
        assertThat(where(least.readOnly())).isEqualTo(other);
      }
    }
  }

  @Test
  void aReplicaThatDiesMidLoadCausesNoFailedReadsAndIsReadmitted() throws Exception {
    TcpProxy proxy = later(TcpProxy.start(replicaAddr.getHostString(), replicaAddr.getPort()));
    InetSocketAddress viaProxy = InetSocketAddress.createUnresolved(proxy.host(), proxy.port());
    ReadWriteDataSource ds = later(rw(pool(viaProxy, "flaky")).readmitAfter(2).build());
    assertThat(where(ds.readOnly())).isEqualTo("flaky@standby");

    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger onPrimary = new AtomicInteger();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    ExecutorService load = Executors.newFixedThreadPool(4);
    List<Future<?>> workers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      workers.add(load.submit(() -> {
        while (running.get()) {
          try {
            String w = ds.read(c -> {
              try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select count(*) from item, pg_sleep(0.005)")) {
                rs.next();
              }
              return where(c);
            });
            ok.incrementAndGet();
            if (w.endsWith("@primary")) {
              onPrimary.incrementAndGet();
            }
          } catch (Throwable e) {
            failure.compareAndSet(null, e);
          }
        }
      }));
    }
    try {
      await().atMost(Duration.ofSeconds(5)).until(() -> ok.get() > 50);
      proxy.blackhole(true);
      proxy.cutConnections();
      await().atMost(Duration.ofSeconds(5)).until(() -> ds.health().pools().get(1).status() == HealthSnapshot.Status.EJECTED);
      int before = onPrimary.get();
      await().atMost(Duration.ofSeconds(5)).until(() -> onPrimary.get() > before + 50);
      assertThat(ds.health().replicasServing()).isZero();
      assertThat(ds.health().ready()).isTrue();

      proxy.blackhole(false);
      await().atMost(Duration.ofSeconds(15)).until(() -> ds.health().pools().get(1).status() == HealthSnapshot.Status.UP);
      int okNow = ok.get();
      await().atMost(Duration.ofSeconds(5)).until(() -> ok.get() > okNow + 50);
      assertThat(where(ds.readOnly())).isEqualTo("flaky@standby");
    } finally {
      running.set(false);
      for (Future<?> f : workers) {
        f.get(10, TimeUnit.SECONDS);
      }
      load.shutdown();
    }
    assertThat(failure.get()).as("failed reads").isNull();
  }

  /** Reads whose replica is black-holed (connections stay open, nothing answers) end within the read timeout. */
  @Test
  void aBlackHoledReplicaEndsInFlightReadsWithinTheReadTimeoutAndNoReadFails() throws Exception {
    TcpProxy proxy = later(TcpProxy.start(replicaAddr.getHostString(), replicaAddr.getPort()));
    InetSocketAddress viaProxy = InetSocketAddress.createUnresolved(proxy.host(), proxy.port());
    Duration readTimeout = Duration.ofSeconds(1);
    ReadWriteDataSource ds =
        later(rw(pool(viaProxy, "hole", 8, 8, Duration.ofSeconds(1))).readTimeout(readTimeout).build());
    assertThat(where(ds.readOnly())).isEqualTo("hole@standby");

    int threads = 8;
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    AtomicReference<Throwable> firstFailure = new AtomicReference<>();
    java.util.Queue<long[]> reads = new java.util.concurrent.ConcurrentLinkedQueue<>(); // start, end
    ExecutorService load = Executors.newFixedThreadPool(threads);
    List<Future<?>> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      workers.add(load.submit(() -> {
        while (running.get()) {
          long t0 = System.nanoTime();
          try {
            ds.read(c -> {
              try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select count(*) from item, pg_sleep(0.005)")) {
                rs.next();
              }
              return where(c);
            });
            ok.incrementAndGet();
          } catch (Throwable e) {
            failed.incrementAndGet();
            firstFailure.compareAndSet(null, e);
          }
          reads.add(new long[] {t0, System.nanoTime()});
        }
      }));
    }
    long holeStart;
    long holeEnd;
    try {
      await().atMost(Duration.ofSeconds(5)).until(() -> ok.get() > 100);
      holeStart = System.nanoTime();
      proxy.blackhole(true); // connections stay open: only a timeout can end a read
      Thread.sleep(15_000);
      holeEnd = System.nanoTime();
      assertThat(ds.health().pools().get(1).status()).isEqualTo(HealthSnapshot.Status.EJECTED);
    } finally {
      running.set(false);
      proxy.cutConnections(); // unblocks reads that nothing else would end
      for (Future<?> f : workers) {
        f.get(30, TimeUnit.SECONDS);
      }
      load.shutdown();
    }
    List<Long> during = new ArrayList<>();
    int completedDuring = 0;
    for (long[] r : reads) {
      if (r[1] >= holeStart && r[0] <= holeEnd) {
        during.add(r[1] - r[0]);
      }
      if (r[1] >= holeStart && r[1] <= holeEnd) {
        completedDuring++;
      }
    }
    during.sort(null);
    long max = during.isEmpty() ? 0 : during.get(during.size() - 1);
    long p99 = during.isEmpty() ? 0 : during.get((int) Math.min(during.size() - 1, Math.ceil(during.size() * 0.99) - 1));
    long over2s = during.stream().filter(d -> d > TimeUnit.SECONDS.toNanos(2)).count();
    System.out.printf(
        "black-holed replica, %d threads, 15 s: %d reads overlapping the hole, %d completed during it, %d over 2 s,"
            + " max %d ms, p99 %d ms, %d failed reads%n",
        threads, during.size(), completedDuring, over2s, TimeUnit.NANOSECONDS.toMillis(max), TimeUnit.NANOSECONDS.toMillis(p99),
        failed.get());
    assertThat(failed.get()).as("failed reads (first: %s)", firstFailure.get()).isZero();
    // read timeout 1 s + a retry (borrow up to 1 s, then the read): generous bound for a noisy machine
    assertThat(Duration.ofNanos(max)).isLessThan(Duration.ofSeconds(6));
    assertThat(completedDuring).as("reads completed while the replica was black-holed").isGreaterThan(100);
  }

  @Test
  void aRawReadConnectionOnABlackHoledReplicaFailsWithinTheReadTimeoutNamingTheNode() throws Exception {
    TcpProxy proxy = later(TcpProxy.start(replicaAddr.getHostString(), replicaAddr.getPort()));
    InetSocketAddress viaProxy = InetSocketAddress.createUnresolved(proxy.host(), proxy.port());
    ReadWriteDataSource ds = later(rw(pool(viaProxy, "hole")).readTimeout(Duration.ofSeconds(1)).build());
    ExecutorService exec = Executors.newSingleThreadExecutor();
    Connection c = ds.readOnly().getConnection();
    try {
      assertThat(where(c)).isEqualTo("hole@standby");
      proxy.blackhole(true);
      long t0 = System.nanoTime();
      Future<Throwable> outcome = exec.submit(() -> {
        try {
          where(c);
          return null;
        } catch (SQLException e) {
          return e;
        }
      });
      Throwable e;
      try {
        e = outcome.get(20, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException stillWaiting) {
        c.abort(Runnable::run); // a statement blocked on a silent socket holds the connection's lock
        throw new AssertionError("the read was still waiting after 20 s", stillWaiting);
      }
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      System.out.printf("raw read on a black-holed replica failed after %d ms: %s%n", ms, e);
      assertThat(e).isInstanceOf(SQLException.class);
      assertThat(ms).isLessThan(5_000);
      assertThat(describe(e)).contains("it-replica-1").contains("read timeout");
      await().atMost(Duration.ofSeconds(5)).until(() -> ds.health().pools().get(1).status() == HealthSnapshot.Status.EJECTED);
    } finally {
      c.close();
      exec.shutdownNow();
    }
  }

  /** The message of {@code e} and of everything attached to it. */
  private static String describe(Throwable e) {
    StringBuilder sb = new StringBuilder(String.valueOf(e));
    for (Throwable s : e.getSuppressed()) {
      sb.append(" | ").append(s);
    }
    return sb.toString();
  }

  @Test
  void readYourWritesAndLagBoundWhileReplayIsPaused() throws Exception {
    ReadWriteDataSource ds = later(rw(pool(replicaAddr, "r1")).build());
    assertThat(where(ds.readOnly())).isEqualTo("r1@standby");
    try (Connection c = replicaDirect(); Statement st = c.createStatement()) {
      st.execute("select pg_wal_replay_pause()");
    }
    try {
      Written<Long> w = ds.write(c -> insert(c, "ryw"));
      long id = w.value();
      assertThat(w.token().position()).isPositive();
      // the replica has not replayed the write: the token read goes to the primary and sees the row
      String served = ds.read(w.token(), c -> where(c) + ":" + sees(c, id));
      assertThat(served).isEqualTo("primary@primary:true");
      try (Connection c = ds.readOnly(w.token()).getConnection()) {
        assertThat(where(c)).isEqualTo("primary@primary");
        assertThat(c.isReadOnly()).as("primary fallback reads are read-only").isTrue();
      }
      // the lag bound (1 s) takes the replica out of plain reads too
      await().atMost(Duration.ofSeconds(10)).until(() -> ds.health().pools().get(1).status() == HealthSnapshot.Status.LAGGING);
      assertThat(where(ds.readOnly())).isEqualTo("primary@primary");
      assertThat(ds.health().pools().get(1).lag()).isGreaterThan(Duration.ofSeconds(1));

      resumeReplay();
      await().atMost(Duration.ofSeconds(10)).until(() -> ds.health().pools().get(1).status() == HealthSnapshot.Status.UP);
      await().atMost(Duration.ofSeconds(10)).until(() -> ds.read(w.token(), ReadWriteDataSourceIT::where).equals("r1@standby"));
      boolean seen = ds.read(w.token(), c -> sees(c, id));
      assertThat(seen).isTrue();
      assertThat(where(ds.readOnly())).isEqualTo("r1@standby");
    } finally {
      resumeReplay();
    }
  }

  @Test
  void drainLetsInFlightTransactionsFinishAndRejectsNewBorrows() throws Exception {
    ReadWriteDataSource ds = rw(pool(replicaAddr, "r1")).build();
    CountDownLatch borrowed = new CountDownLatch(1);
    ExecutorService exec = Executors.newSingleThreadExecutor();
    AtomicReference<Long> written = new AtomicReference<>();
    Future<?> tx = exec.submit(() -> {
      try (Connection c = ds.readWrite().getConnection()) {
        c.setAutoCommit(false);
        long id = insert(c, "in-flight");
        borrowed.countDown();
        Thread.sleep(800);
        c.commit();
        written.set(id);
      }
      return null;
    });
    assertThat(borrowed.await(5, TimeUnit.SECONDS)).isTrue();
    Future<DrainReport> drain = Executors.newSingleThreadExecutor().submit(() -> ds.drain(Duration.ofSeconds(10)));
    await().atMost(Duration.ofSeconds(2)).until(() -> ds.health().state() == HealthSnapshot.State.DRAINING);
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> ds.readWrite().getConnection())
        .isInstanceOf(SQLException.class)
        .hasMessageStartingWith("data source 'it' is draining for shutdown");
    assertThatThrownBy(() -> ds.read(c -> 1)).hasMessageContaining("draining");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(500));
    tx.get(5, TimeUnit.SECONDS);
    DrainReport report = drain.get(10, TimeUnit.SECONDS);
    exec.shutdown();
    assertThat(report.clean()).isTrue();
    assertThat(report.inUseAtDeadline()).isZero();
    assertThat(report.pools().get(0)).isEqualTo(new DrainReport.PoolDrain("it-primary", "primary", 1, 0));
    assertThat(report.waited()).isGreaterThan(Duration.ofMillis(300)).isLessThan(Duration.ofSeconds(5));
    try (Connection c = DriverManager.getConnection(TestServices.postgresPrimaryUrl(DB), TestServices.postgresUser(), "")) {
      assertThat(sees(c, written.get())).as("the in-flight transaction committed").isTrue();
    }
    assertThat(ds.health().state()).isEqualTo(HealthSnapshot.State.CLOSED);
    assertThatThrownBy(() -> ds.readOnly().getConnection()).hasMessage("data source 'it' is closed: no new connections");
  }

  @Test
  void optionsGivenToAPoolsBuilderAfterItWasHandedOverDoNotReachThePool() throws Exception {
    Pools.Builder shared =
        Pools.builder()
            .postgresql(primaryAddr.getHostString(), primaryAddr.getPort(), DB)
            .credentials(TestServices.postgresUser(), null)
            .maximumPoolSize(4)
            .minimumIdle(1)
            .connectionTimeout(Duration.ofSeconds(1));
    ReadWriteDataSource.Builder b =
        ReadWriteDataSource.builder().name("it").primary(shared).healthCheckInterval(Duration.ofMillis(100));
    // options the builder had left unset, given after it became the primary's settings
    shared.dataSourceProperty("ApplicationName", "late").readOnly(true);
    b.replica(pool(replicaAddr, "r1"));
    ReadWriteDataSource ds = later(b.build());
    try (Connection c = ds.readWrite().getConnection()) {
      assertThat(where(c)).doesNotStartWith("late").endsWith("@primary");
      assertThat(c.isReadOnly()).isFalse();
    }
    assertThat(where(ds.readOnly())).isEqualTo("r1@standby");
  }

  @Test
  void aSecondDrainDuringADrainWaitsForItAndReturnsTheSameReport() throws Exception {
    ReadWriteDataSource ds = rw(pool(replicaAddr, "r1")).build();
    Connection held = ds.readWrite().getConnection();
    assertThat(where(held)).isEqualTo("primary@primary");
    ExecutorService exec = Executors.newSingleThreadExecutor();
    try {
      Future<DrainReport> first = exec.submit(() -> ds.drain(Duration.ofSeconds(2)));
      await().atMost(Duration.ofSeconds(2)).until(() -> ds.health().state() == HealthSnapshot.State.DRAINING);
      long t0 = System.nanoTime();
      DrainReport second = ds.drain(Duration.ZERO);
      long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertThat(ds.health().state()).as("pools closed when the second drain returns").isEqualTo(HealthSnapshot.State.CLOSED);
      assertThat(second.clean()).as("a connection was still in use at the first drain's deadline").isFalse();
      assertThat(second).isSameAs(first.get(5, TimeUnit.SECONDS));
      assertThat(waitedMs).isGreaterThan(1_000);
      ds.close(); // after the drain: returns at once
      assertThat(ds.drain(Duration.ofSeconds(1))).isSameAs(second);
    } finally {
      exec.shutdown();
      held.close();
    }
  }

  @Test
  void drainReportsWhatWasStillInUseAtTheDeadline() throws Exception {
    ReadWriteDataSource ds = rw(pool(replicaAddr, "r1")).build();
    Connection held = ds.readOnly().getConnection();
    DrainReport report = ds.drain(Duration.ofMillis(200));
    assertThat(report.clean()).isFalse();
    assertThat(report.inUseAtDeadline()).isEqualTo(1);
    assertThat(report.pools().get(1)).isEqualTo(new DrainReport.PoolDrain("it-replica-1", "replica", 1, 1));
    assertThatThrownBy(() -> where(held)).as("aborted at the deadline").isInstanceOf(SQLException.class);
    held.close();
  }

  @Test
  void exhaustionFailsWithThePoolNameAndItsStats() throws Exception {
    ReadWriteDataSource ds =
        later(ReadWriteDataSource.builder().name("tiny")
            .primary(pool(primaryAddr, "p", 1, 1, Duration.ofMillis(300)).poolName("orders-primary"))
            .build());
    try (Connection held = ds.readWrite().getConnection()) {
      assertThat(held.isValid(1)).isTrue();
      long t0 = System.nanoTime();
      assertThatThrownBy(() -> ds.readWrite().getConnection())
          .isInstanceOf(SQLTransientConnectionException.class)
          .hasMessageContaining("orders-primary")
          .hasMessageContaining("request timed out after")
          .hasMessageContaining("total=1, active=1, idle=0");
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
    }
  }

  @Test
  void budgetIsCheckedAgainstTheServersMaxConnections() throws Exception {
    ReadWriteDataSource ds = later(rw().build());
    PoolSizing.Budget b = PoolSizing.budget(ds.readWrite(), 4, 10, 10);
    int expected;
    try (Connection c = ds.readWrite().getConnection(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("select current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int")) {
      rs.next();
      expected = rs.getInt(1) - 10;
    }
    assertThat(b.usable()).isEqualTo(expected);
    assertThat(b.fits()).isEqualTo(40 <= expected);
  }

  @Test
  void metricsAreTaggedByPoolRoleAndShard() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    ReadWriteDataSource ds = later(rw(pool(replicaAddr, "r1")).shard("s1").telemetry(Telemetry.of(registry)).build());
    try (Connection c = ds.readOnly().getConnection()) {
      where(c);
    }
    assertThat(registry.get("hikaricp.connections.acquire").tags("pool", "it-replica-1", "role", "replica", "shard", "s1").timer().count())
        .isEqualTo(1);
    assertThat(registry.get("hikaricp.connections.max").tags("pool", "it-primary", "role", "primary", "shard", "s1").gauge().value())
        .isEqualTo(4);
    await().atMost(Duration.ofSeconds(5)).until(() ->
        registry.get("scaleblocks.pooling.pool.up").tags("pool", "it-replica-1", "role", "replica").gauge().value() == 1.0);
    assertThat(registry.find("scaleblocks.pooling.replica.lag").tags("pool", "it-replica-1").gauge()).isNotNull();
  }
}
