package dev.scaleblocks.benchmarks.pooling;

import com.zaxxer.hikari.HikariDataSource;
import dev.scaleblocks.pooling.Pools;
import dev.scaleblocks.pooling.ReadWriteDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code getConnection()} + {@code close()} through {@link ReadWriteDataSource} against raw
 * HikariCP with the same settings, on a stub JDBC driver (pool and routing overhead only) and on
 * the real PostgreSQL primary and standby (addresses from {@code scaleblocks.pg.primary} /
 * {@code scaleblocks.pg.replica}, default 127.0.0.1:5432 / 5433). Goal: ≥ 0.95× the anchor.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar PoolRoutingBenchmark -t 4}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PoolRoutingBenchmark {

  @Param({"stub", "postgresql"})
  public String backend;

  private HikariDataSource raw;
  private HikariDataSource rawReplica;
  private ReadWriteDataSource routed;
  private DataSource readWrite;
  private DataSource readOnly;

  private Pools.Builder pool(String hostPort, String name) {
    Pools.Builder b =
        Pools.builder()
            .poolName(name)
            .maximumPoolSize(8)
            .connectionTimeout(Duration.ofSeconds(5))
            .keepaliveTime(Duration.ZERO);
    if (backend.equals("stub")) {
      StubDataSource stub = new StubDataSource();
      return b.jdbcUrl("jdbc:stub:bench").customize(c -> {
        c.setJdbcUrl(null);
        c.setDataSource(stub);
      });
    }
    int colon = hostPort.lastIndexOf(':');
    return b.postgresql(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)), "postgres")
        .credentials(System.getProperty("scaleblocks.pg.user", "postgres"), null);
  }

  @Setup(Level.Trial)
  public void setUp() {
    String primary = System.getProperty("scaleblocks.pg.primary", "127.0.0.1:5432");
    String replica = System.getProperty("scaleblocks.pg.replica", "127.0.0.1:5433");
    raw = pool(primary, "bench-raw").build();
    rawReplica = pool(replica, "bench-raw-replica").readOnly(true).build();
    routed =
        ReadWriteDataSource.builder()
            .name("bench")
            .primary(pool(primary, "bench-primary"))
            .replica(pool(replica, "bench-replica"))
            .build();
    readWrite = routed.readWrite();
    readOnly = routed.readOnly();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    routed.close();
    raw.close();
    rawReplica.close();
  }

  @Benchmark
  public Connection anchorHikariGetClose() throws SQLException {
    Connection c = raw.getConnection();
    c.close();
    return c;
  }

  /** The primary through the routing layer: the write path. */
  @Benchmark
  public Connection readWriteGetClose() throws SQLException {
    Connection c = readWrite.getConnection();
    c.close();
    return c;
  }

  /** A replica chosen round-robin from the healthy set: the read path. */
  @Benchmark
  public Connection readOnlyGetClose() throws SQLException {
    Connection c = readOnly.getConnection();
    c.close();
    return c;
  }

  /**
   * The anchor for the lazy connection: the same JDBC calls on a raw read-only HikariCP pool over
   * the replica, i.e. what code that picks the replica pool itself does.
   */
  @Benchmark
  public int anchorHikariSameCalls() throws SQLException {
    try (Connection c = rawReplica.getConnection()) {
      c.setReadOnly(true);
      return c.getHoldability();
    }
  }

  /** The lazy connection, made read-only and used once (a local call) so that it really borrows. */
  @Benchmark
  public int lazySetReadOnlyGetClose() throws SQLException {
    try (Connection c = routed.getConnection()) {
      c.setReadOnly(true);
      return c.getHoldability();
    }
  }
}
