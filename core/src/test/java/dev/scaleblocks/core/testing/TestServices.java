package dev.scaleblocks.core.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * Addresses of the real services integration tests talk to, brought up by
 * {@code scripts/services.sh up}. Each can be moved with a system property or an environment
 * variable; an unreachable service fails the test with a message saying how to start it, never a
 * silent skip.
 *
 * <table>
 *   <caption>settings</caption>
 *   <tr><th>system property</th><th>environment</th><th>default</th></tr>
 *   <tr><td>scaleblocks.redis</td><td>SCALEBLOCKS_REDIS</td><td>127.0.0.1:6379</td></tr>
 *   <tr><td>scaleblocks.redis.cluster</td><td>SCALEBLOCKS_REDIS_CLUSTER</td>
 *       <td>127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002</td></tr>
 *   <tr><td>scaleblocks.redis.sentinel</td><td>SCALEBLOCKS_REDIS_SENTINEL</td><td>127.0.0.1:26379</td></tr>
 *   <tr><td>scaleblocks.pg.primary</td><td>SCALEBLOCKS_PG_PRIMARY</td><td>127.0.0.1:5432</td></tr>
 *   <tr><td>scaleblocks.pg.replica</td><td>SCALEBLOCKS_PG_REPLICA</td><td>127.0.0.1:5433</td></tr>
 *   <tr><td>scaleblocks.pg.user</td><td>SCALEBLOCKS_PG_USER</td><td>postgres</td></tr>
 * </table>
 */
public final class TestServices {

  private static final String HINT = " — run scripts/services.sh up";

  private TestServices() {}

  /** The standalone Redis, checked reachable. */
  public static InetSocketAddress redis() {
    return reachable("Redis", parse(setting("scaleblocks.redis", "127.0.0.1:6379")));
  }

  /** The Redis Cluster seed nodes (three masters), each checked reachable. */
  public static List<InetSocketAddress> redisCluster() {
    List<InetSocketAddress> nodes = new ArrayList<>();
    for (String node :
        setting("scaleblocks.redis.cluster", "127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002")
            .split(",")) {
      nodes.add(reachable("Redis Cluster node", parse(node.trim())));
    }
    return List.copyOf(nodes);
  }

  /**
   * The Redis Sentinel that watches the master named {@link #redisSentinelMasterName()} (a master
   * and one replica, on 127.0.0.1:6390 and 6391 by default), checked reachable.
   */
  public static InetSocketAddress redisSentinel() {
    return reachable("Redis Sentinel", parse(setting("scaleblocks.redis.sentinel", "127.0.0.1:26379")));
  }

  /** The name the sentinel of {@link #redisSentinel()} monitors its master under. */
  public static String redisSentinelMasterName() {
    return "scaleblocks";
  }

  /** The PostgreSQL primary, checked reachable. */
  public static InetSocketAddress postgresPrimary() {
    return reachable("PostgreSQL primary", parse(setting("scaleblocks.pg.primary", "127.0.0.1:5432")));
  }

  /** The PostgreSQL streaming replica of the primary, checked reachable. */
  public static InetSocketAddress postgresReplica() {
    return reachable("PostgreSQL replica", parse(setting("scaleblocks.pg.replica", "127.0.0.1:5433")));
  }

  /** JDBC URL of {@code database} on the primary. */
  public static String postgresPrimaryUrl(String database) {
    return jdbcUrl(postgresPrimary(), database);
  }

  /** JDBC URL of {@code database} on the replica. */
  public static String postgresReplicaUrl(String database) {
    return jdbcUrl(postgresReplica(), database);
  }

  /** The PostgreSQL user (trust authentication on loopback). */
  public static String postgresUser() {
    return setting("scaleblocks.pg.user", "postgres");
  }

  private static String jdbcUrl(InetSocketAddress address, String database) {
    return "jdbc:postgresql://" + address.getHostString() + ":" + address.getPort() + "/" + database;
  }

  private static String setting(String property, String fallback) {
    String value = System.getProperty(property);
    String variable = property.toUpperCase(java.util.Locale.ROOT).replace('.', '_');
    if (value == null || value.isBlank()) {
      value = System.getenv(variable);
    }
    if (value == null || value.isBlank()) {
      value = recorded(variable);
    }
    return value == null || value.isBlank() ? fallback : value.trim();
  }

  /**
   * What {@code scripts/services.sh up} recorded for {@code variable} in its runtime directory's
   * {@code services.env} (it may have moved a server off its default port), or null.
   */
  private static @org.jspecify.annotations.Nullable String recorded(String variable) {
    String runtime = System.getenv("SCALEBLOCKS_RUNTIME");
    java.nio.file.Path file = java.nio.file.Path.of(
        runtime == null || runtime.isBlank() ? "/var/lib/scaleblocks" : runtime, "services.env");
    try {
      for (String line : java.nio.file.Files.readAllLines(file)) {
        if (line.startsWith(variable + "=")) {
          return line.substring(variable.length() + 1);
        }
      }
    } catch (java.io.IOException e) {
      return null; // not brought up by the script: the defaults
    }
    return null;
  }

  private static InetSocketAddress parse(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("address must be host:port but was " + hostPort);
    }
    return InetSocketAddress.createUnresolved(
        hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
  }

  private static InetSocketAddress reachable(String what, InetSocketAddress address) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(address.getHostString(), address.getPort()), 2_000);
      return address;
    } catch (IOException e) {
      throw new AssertionError(
          what + " not reachable at " + address.getHostString() + ":" + address.getPort() + HINT, e);
    }
  }
}
