package dev.scaleblocks.core.services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.scaleblocks.core.testing.TestServices;
import dev.scaleblocks.core.testing.ThrowawayRedis;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code scripts/services.sh}: idempotent on the real services, and — on throw-away ports and a
 * throw-away runtime directory, so the services other tests use are never touched — it changes only
 * what it created: it uses a server it did not start as it is, refuses loudly (changing nothing)
 * when such a server holds a port it would have to reset, and {@code down} stops exactly what
 * {@code up} started.
 */
class ServicesScriptIT {

  private static final Path SCRIPT = Path.of("..", "scripts", "services.sh");

  @Test
  void upTwiceLeavesEveryEndpointHealthyAndStartsNothingTheSecondTime() throws Exception {
    assertThat(SCRIPT).exists();
    Result first = run(Map.of(), "up");
    assertThat(first.exit).as(first.output).isZero();
    Result second = run(Map.of(), "up");
    assertThat(second.exit).as(second.output).isZero();
    assertThat(second.output).as("nothing to start or create the second time")
        .doesNotContain("starting").doesNotContain("creating").doesNotContain("installing");

    Result status = run(Map.of(), "status");
    assertThat(status.exit).as(status.output).isZero();
    assertThat(status.output.lines().filter(l -> l.endsWith(" ok") || l.contains(" ok (")))
        .hasSize(9); // redis, three cluster masters, sentinel and its two nodes, primary, replica
    // and the addresses the tests use answer
    TestServices.redis();
    assertThat(TestServices.redisCluster()).hasSize(3);
    TestServices.redisSentinel();
    TestServices.postgresPrimary();
    TestServices.postgresReplica();
  }

  /**
   * A whole set of services of the script's own on free ports, beside a Redis it did not start on
   * the standalone port: the foreign Redis is used as it is (its data kept, still running after
   * {@code down}), everything else is created once, marked, started once and stopped by
   * {@code down}; no file outside the runtime directory changes (the system pg_hba.conf).
   */
  @Test
  void ownServicesOnFreePortsAreCreatedMarkedAndStoppedWhileAForeignRedisIsLeftAlone() throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")), "initdb and pg_ctl run as the postgres user: needs root");
    Map<Path, String> systemFiles = systemPostgresConfigDigests();
    Path runtime = Path.of("/tmp", "scaleblocks-services-it-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    List<Integer> cluster = clusterPorts();
    List<Integer> sentinel = List.of(freePort(), freePort(), freePort());
    int primary = freePort();
    int replica = freePort();
    try (ThrowawayRedis foreign = ThrowawayRedis.start()) {
      redisCommand(foreign.port(), "SET", "services-it:kept", "yes");
      Map<String, String> env = env(runtime, foreign.port(), cluster, sentinel, primary, replica);
      try {
        long started = System.nanoTime();
        Result first = run(env, "up");
        System.out.printf("services.sh up on free ports: %d ms%n", (System.nanoTime() - started) / 1_000_000);
        assertThat(first.exit).as(first.output).isZero();
        assertThat(first.output)
            .contains("127.0.0.1:" + foreign.port() + " is a Redis this script did not start")
            .doesNotContain("starting redis on 127.0.0.1:" + foreign.port())
            .contains("creating the redis cluster", "creating a PostgreSQL", "creating the streaming standby")
            .contains("starting redis-sentinel on 127.0.0.1:" + sentinel.get(0));
        assertThat(first.output.lines().filter(l -> l.endsWith(" ok") || l.contains(" ok ("))).hasSize(9);
        assertThat(first.output)
            .contains("sentinel-node  127.0.0.1:" + sentinel.get(1) + "  ok (master)")
            .contains("sentinel-node  127.0.0.1:" + sentinel.get(2) + "  ok (replica in sync)");
        for (int port : cluster) {
          assertThat(runtime.resolve("redis-" + port).resolve(".created-by-scaleblocks-services")).exists();
        }
        assertThat(runtime.resolve("sentinel-" + sentinel.get(0)).resolve(".created-by-scaleblocks-services")).exists();
        assertThat(runtime.resolve("redis-" + sentinel.get(1)).resolve(".created-by-scaleblocks-services")).exists();
        assertThat(runtime.resolve("redis-" + sentinel.get(2)).resolve(".created-by-scaleblocks-services")).exists();
        assertThat(runtime.resolve("pg-primary").resolve(".created-by-scaleblocks-services")).exists();
        assertThat(runtime.resolve("pg-replica").resolve(".created-by-scaleblocks-services")).exists();

        Result second = run(env, "up");
        assertThat(second.exit).as(second.output).isZero();
        assertThat(second.output).doesNotContain("starting").doesNotContain("creating");
      } finally {
        Result down = run(env, "down");
        assertThat(down.exit).as(down.output).isZero();
      }
      for (int port : cluster) {
        assertThat(listening(port)).as("cluster node %d stopped", port).isFalse();
      }
      for (int port : sentinel) {
        assertThat(listening(port)).as("sentinel group port %d stopped", port).isFalse();
      }
      assertThat(listening(primary)).as("primary stopped").isFalse();
      assertThat(listening(replica)).as("standby stopped").isFalse();
      assertThat(foreign.isAlive()).as("the Redis the script did not start still runs").isTrue();
      assertThat(redisCommand(foreign.port(), "GET", "services-it:kept")).contains("yes");
    } finally {
      deleteTree(runtime);
    }
    assertThat(systemPostgresConfigDigests()).as("system PostgreSQL configuration unchanged").isEqualTo(systemFiles);
  }

  /** A Redis the script did not start on a cluster port: refused loudly, nothing flushed or started. */
  @Test
  void aForeignServerOnAClusterPortIsNamedAndNotWiped() throws Exception {
    Path runtime = Path.of("/tmp", "scaleblocks-services-it-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    List<Integer> cluster = clusterPorts();
    try (ThrowawayRedis foreign = ThrowawayRedis.start()) {
      redisCommand(foreign.port(), "SET", "services-it:kept", "yes");
      List<Integer> ports = List.of(cluster.get(0), foreign.port(), cluster.get(2));
      Map<String, String> env = env(runtime, freePort(), ports, List.of(freePort(), freePort(), freePort()),
          freePort(), freePort());
      Result up = run(env, "up");
      assertThat(up.exit).as(up.output).isNotZero();
      assertThat(up.output)
          .contains("error: 127.0.0.1:" + foreign.port() + " is a Redis this script did not start")
          .contains("it changed nothing")
          .contains("SCALEBLOCKS_REDIS_CLUSTER");
      assertThat(up.output).doesNotContain("starting").doesNotContain("creating");
      assertThat(redisCommand(foreign.port(), "GET", "services-it:kept")).contains("yes");
      assertThat(listening(cluster.get(0))).isFalse();
      Result down = run(env, "down");
      assertThat(down.exit).as(down.output).isZero();
      assertThat(foreign.isAlive()).isTrue();
    } finally {
      deleteTree(runtime);
    }
  }

  /**
   * A Redis the script did not start on the sentinel group's master port: refused loudly, nothing
   * reconfigured or started, and the foreign server is not made anyone's master or replica.
   */
  @Test
  void aForeignServerOnASentinelPortIsNamedAndNotReconfigured() throws Exception {
    Path runtime = Path.of("/tmp", "scaleblocks-services-it-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    try (ThrowawayRedis foreign = ThrowawayRedis.start()) {
      redisCommand(foreign.port(), "SET", "services-it:kept", "yes");
      int sentinelPort = freePort();
      int replicaPort = freePort();
      Map<String, String> env = env(runtime, freePort(), clusterPorts(),
          List.of(sentinelPort, foreign.port(), replicaPort), freePort(), freePort());
      Result up = run(env, "up");
      assertThat(up.exit).as(up.output).isNotZero();
      assertThat(up.output)
          .contains("error: 127.0.0.1:" + foreign.port() + " is a Redis this script did not start")
          .contains("it changed nothing")
          .contains("SCALEBLOCKS_REDIS_SENTINEL_MASTER");
      assertThat(up.output).doesNotContain("starting").doesNotContain("creating");
      assertThat(redisCommand(foreign.port(), "GET", "services-it:kept")).contains("yes");
      assertThat(redisCommand(foreign.port(), "ROLE")).as("still a master of nothing").contains("master");
      assertThat(listening(sentinelPort)).isFalse();
      assertThat(listening(replicaPort)).isFalse();
      Result down = run(env, "down");
      assertThat(down.exit).as(down.output).isZero();
      assertThat(foreign.isAlive()).isTrue();
    } finally {
      deleteTree(runtime);
    }
  }

  private record Result(int exit, String output) {}

  private static Result run(Map<String, String> env, String verb) throws IOException, InterruptedException {
    Path log = Files.createTempFile("services", ".log");
    ProcessBuilder builder = new ProcessBuilder("bash", SCRIPT.toString(), verb)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    builder.environment().putAll(env);
    Process process = builder.start();
    assertThat(process.waitFor(5, TimeUnit.MINUTES)).as("services.sh " + verb + " finished").isTrue();
    String output = Files.readString(log, StandardCharsets.UTF_8);
    Files.delete(log);
    System.out.println("services.sh " + verb + ":\n" + output);
    return new Result(process.exitValue(), output);
  }

  /** {@code sentinel}: the sentinel's port, then the group's master and replica ports. */
  private static Map<String, String> env(Path runtime, int redis, List<Integer> cluster, List<Integer> sentinel,
      int primary, int replica) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("SCALEBLOCKS_RUNTIME", runtime.toString());
    env.put("SCALEBLOCKS_REDIS", "127.0.0.1:" + redis);
    env.put("SCALEBLOCKS_REDIS_CLUSTER",
        String.join(",", cluster.stream().map(p -> "127.0.0.1:" + p).toList()));
    env.put("SCALEBLOCKS_REDIS_SENTINEL", "127.0.0.1:" + sentinel.get(0));
    env.put("SCALEBLOCKS_REDIS_SENTINEL_MASTER", "127.0.0.1:" + sentinel.get(1));
    env.put("SCALEBLOCKS_REDIS_SENTINEL_REPLICA", "127.0.0.1:" + sentinel.get(2));
    env.put("SCALEBLOCKS_PG_PRIMARY", "127.0.0.1:" + primary);
    env.put("SCALEBLOCKS_PG_REPLICA", "127.0.0.1:" + replica);
    return env;
  }

  /** Three free ports whose cluster bus ports (port + 10000) are free too. */
  private static List<Integer> clusterPorts() {
    List<Integer> ports = new ArrayList<>();
    while (ports.size() < 3) {
      int port = ThreadLocalRandom.current().nextInt(20_000, 40_000);
      if (!ports.contains(port) && free(port) && free(port + 10_000)) {
        ports.add(port);
      }
    }
    return ports;
  }

  private static int freePort() {
    while (true) {
      int port = ThrowawayRedis.freePort();
      if (port < 55_000) {
        return port;
      }
    }
  }

  private static boolean free(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress("127.0.0.1", port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean listening(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** One RESP command; returns the raw reply. */
  private static String redisCommand(int port, String... args) throws IOException {
    StringBuilder command = new StringBuilder("*").append(args.length).append("\r\n");
    for (String arg : args) {
      command.append('$').append(arg.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(arg).append("\r\n");
    }
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
      socket.setSoTimeout(2_000);
      OutputStream out = socket.getOutputStream();
      out.write(command.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();
      byte[] buf = new byte[256];
      int n = socket.getInputStream().read(buf);
      return n <= 0 ? "" : new String(buf, 0, n, StandardCharsets.UTF_8);
    }
  }

  /** Digests of the system PostgreSQL clusters' configuration files (empty where there are none). */
  private static Map<Path, String> systemPostgresConfigDigests() throws Exception {
    Map<Path, String> digests = new LinkedHashMap<>();
    Path etc = Path.of("/etc/postgresql");
    if (!Files.isDirectory(etc)) {
      return digests;
    }
    try (Stream<Path> files = Files.walk(etc)) {
      for (Path file : files.filter(Files::isRegularFile).filter(Files::isReadable).sorted().toList()) {
        digests.put(file, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file))));
      }
    }
    return digests;
  }

  private static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
