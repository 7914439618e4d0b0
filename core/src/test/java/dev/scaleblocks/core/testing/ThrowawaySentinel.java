package dev.scaleblocks.core.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.exceptions.JedisException;

/**
 * A Redis Sentinel group of the test's own on free loopback ports: a master, one streaming replica
 * (or more) and one {@code redis-sentinel} (quorum 1) watching them as {@value #MASTER_NAME}, with short
 * timeouts (the master counts as down after {@value #DOWN_AFTER_MILLIS} ms without an answer) so
 * that a failover takes a few seconds. A test may fail the master over ({@link #failover()}), kill
 * or pause it, and wait for the sentinel to name a new one; nothing else is touched. The sentinel
 * runs as {@code redis-server --sentinel} (the same binary as Debian's {@code redis-sentinel}).
 *
 * <p>Not thread-safe: drive it from the test thread. Starting costs about a second (the sentinel
 * must have seen the replica before a failover can pick it).
 */
public final class ThrowawaySentinel implements AutoCloseable {

  /** The name the sentinel monitors the master under. */
  public static final String MASTER_NAME = "scaleblocks";

  /** The sentinel's {@code down-after-milliseconds}: how long a silent master takes to count as down. */
  public static final int DOWN_AFTER_MILLIS = 1000;

  private static final int FAILOVER_TIMEOUT_MILLIS = 2000;

  /** The data nodes: the first started as master, the others as its replicas. */
  private final List<ThrowawayRedis> nodes;
  private final int sentinelPort;
  private final Path dir;
  private Process sentinel;

  private ThrowawaySentinel(List<ThrowawayRedis> nodes, int sentinelPort, Path dir) {
    this.nodes = nodes;
    this.sentinelPort = sentinelPort;
    this.dir = dir;
  }

  /**
   * Starts a master, a replica of it and a sentinel, and returns once the replica is in sync and
   * the sentinel knows both (so that a failover can pick the replica at once).
   */
  public static ThrowawaySentinel start() {
    return start(1, List.of());
  }

  /**
   * {@link #start()} with {@code replicas} replicas (at least one) and {@code nodeArgs} on every
   * data node's command line, e.g. {@code --min-replicas-to-write 1 --min-replicas-max-lag 10}.
   */
  public static ThrowawaySentinel start(int replicas, List<String> nodeArgs) {
    if (replicas < 1) {
      throw new IllegalArgumentException("replicas must be at least 1 but was " + replicas);
    }
    List<ThrowawayRedis> nodes = new ArrayList<>();
    ThrowawaySentinel group = null;
    try {
      ThrowawayRedis master = ThrowawayRedis.start(nodeArgs.toArray(new String[0]));
      nodes.add(master);
      List<String> replicaArgs = new ArrayList<>(nodeArgs);
      replicaArgs.addAll(List.of("--replicaof", master.host(), Integer.toString(master.port())));
      for (int i = 0; i < replicas; i++) {
        nodes.add(ThrowawayRedis.start(replicaArgs.toArray(new String[0])));
      }
      group = new ThrowawaySentinel(List.copyOf(nodes), ThrowawayRedis.freePort(),
          Files.createTempDirectory("scaleblocks-sentinel"));
      group.launch(master.port());
      for (ThrowawayRedis r : nodes.subList(1, nodes.size())) {
        group.await(Duration.ofSeconds(20), "replica " + r.port() + " in sync with the master", () -> linkUp(r));
      }
      ThrowawaySentinel g = group;
      group.await(Duration.ofSeconds(20), "the sentinel to see every replica", () -> g.sentinelSeesHealthyReplicas(replicas));
      return group;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (RuntimeException | Error e) {
      if (group != null) {
        group.close();
      } else {
        nodes.forEach(ThrowawayRedis::close);
      }
      throw e;
    }
  }

  public String host() {
    return "127.0.0.1";
  }

  /** The sentinel's port. */
  public int sentinelPort() {
    return sentinelPort;
  }

  public String masterName() {
    return MASTER_NAME;
  }

  /** The data node the sentinel currently names as master. */
  public ThrowawayRedis master() {
    int port = masterPort();
    for (ThrowawayRedis node : nodes) {
      if (node.port() == port) {
        return node;
      }
    }
    throw new IllegalStateException("the sentinel names an unknown master on port " + port);
  }

  /** A data node that is not the current master. */
  public ThrowawayRedis replica() {
    ThrowawayRedis m = master();
    return nodes.stream().filter(n -> n != m).findFirst().orElseThrow();
  }

  /** The port of the master the sentinel currently names. */
  public int masterPort() {
    try (Jedis s = jedis(sentinelPort, 1_000)) {
      List<String> address = s.sentinelGetMasterAddrByName(MASTER_NAME);
      return Integer.parseInt(address.get(1));
    }
  }

  /**
   * {@code SENTINEL FAILOVER}: promotes the replica without waiting for the master to fail. Returns
   * at once; see {@link #awaitNewMaster}.
   */
  public void failover() {
    try (Jedis s = jedis(sentinelPort, 1_000)) {
      s.sentinelFailover(MASTER_NAME);
    }
  }

  /** Kills the current master with SIGKILL; returns the node killed. */
  public ThrowawayRedis killMaster() {
    ThrowawayRedis m = master();
    m.kill();
    return m;
  }

  /** Freezes the current master with SIGSTOP; returns the node paused. */
  public ThrowawayRedis pauseMaster() {
    ThrowawayRedis m = master();
    m.pause();
    return m;
  }

  /**
   * Waits until the sentinel names a master other than {@code oldMasterPort} and that node says it
   * is a master; returns its port.
   */
  public int awaitNewMaster(int oldMasterPort, Duration timeout) {
    await(timeout, "a master other than " + oldMasterPort, () -> {
      try {
        int port = masterPort();
        return port != oldMasterPort && role(port).equals("master");
      } catch (JedisException e) {
        return false;
      }
    });
    return masterPort();
  }

  /**
   * Waits until the sentinel has turned the node on {@code port} (a master that came back, or was
   * demoted) into a replica in sync with the current master.
   */
  public void awaitReplica(int port, Duration timeout) {
    await(timeout, "127.0.0.1:" + port + " to be a replica in sync", () -> {
      try (Jedis j = jedis(port, 1_000)) {
        return linkUp(j.info("replication"));
      } catch (JedisException e) {
        return false;
      }
    });
  }

  /**
   * Whether the sentinel is in TILT mode: its timer ran more than 2 s late (a machine starved of
   * CPU), so for the next 30 s it watches but does not fail over. A test that waits for a failover
   * should say so when it times out.
   */
  public boolean tilted() {
    try (Jedis s = jedis(sentinelPort, 1_000)) {
      return "1".equals(field(s.info("sentinel"), "sentinel_tilt"));
    } catch (JedisException e) {
      return false;
    }
  }

  /**
   * {@code REPLICAOF} the current master on the node on {@code port}: what the sentinel does to a
   * demoted master 8 to 10 s after a failover, for a test that cannot wait that long.
   */
  public void makeReplica(int port) {
    int master = masterPort();
    try (Jedis j = jedis(port, 1_000)) {
      j.replicaof(host(), master);
    }
  }

  /** {@code role:} of the node on {@code port} ("master", "slave"). */
  public String role(int port) {
    try (Jedis j = jedis(port, 1_000)) {
      return field(j.info("replication"), "role");
    }
  }

  @Override
  public void close() {
    if (sentinel != null && sentinel.isAlive()) {
      sentinel.destroyForcibly();
      try {
        sentinel.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    nodes.forEach(ThrowawayRedis::close);
  }

  private void launch(int masterPort) throws IOException {
    Path conf = dir.resolve("sentinel.conf");
    Files.writeString(conf, String.join("\n",
        "port " + sentinelPort,
        "bind 127.0.0.1",
        "protected-mode no",
        "dir " + dir,
        "sentinel monitor " + MASTER_NAME + " 127.0.0.1 " + masterPort + " 1",
        "sentinel down-after-milliseconds " + MASTER_NAME + " " + DOWN_AFTER_MILLIS,
        "sentinel failover-timeout " + MASTER_NAME + " " + FAILOVER_TIMEOUT_MILLIS,
        "sentinel parallel-syncs " + MASTER_NAME + " 1",
        ""), StandardCharsets.UTF_8);
    try {
      sentinel = new ProcessBuilder("redis-server", conf.toString(), "--sentinel")
          .redirectErrorStream(true)
          .redirectOutput(dir.resolve("sentinel.log").toFile())
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start redis-server --sentinel — is it installed? run scripts/services.sh up", e);
    }
    await(Duration.ofSeconds(10), "the sentinel on port " + sentinelPort, () -> {
      if (!sentinel.isAlive()) {
        throw new IllegalStateException("the sentinel exited; see " + dir.resolve("sentinel.log"));
      }
      try (Jedis s = jedis(sentinelPort, 500)) {
        return "PONG".equals(s.ping());
      } catch (JedisException e) {
        return false;
      }
    });
  }

  private static Jedis jedis(int port, int timeoutMillis) {
    return new Jedis(new HostAndPort("127.0.0.1", port), DefaultJedisClientConfig.builder()
        .timeoutMillis(timeoutMillis).protocol(RedisProtocol.RESP2).build());
  }

  private boolean sentinelSeesHealthyReplicas(int count) {
    try (Jedis s = jedis(sentinelPort, 1_000)) {
      List<Map<String, String>> replicas = s.sentinelReplicas(MASTER_NAME);
      return replicas.size() == count && replicas.stream().allMatch(r ->
          "slave".equals(r.get("flags")) && "ok".equals(r.get("master-link-status")));
    } catch (JedisException e) {
      return false;
    }
  }

  private static boolean linkUp(ThrowawayRedis replica) {
    try (Jedis j = jedis(replica.port(), 1_000)) {
      return linkUp(j.info("replication"));
    } catch (JedisException e) {
      return false;
    }
  }

  private static boolean linkUp(String replication) {
    return "slave".equals(field(replication, "role")) && "up".equals(field(replication, "master_link_status"));
  }

  private static String field(String info, String name) {
    for (String line : info.split("\r?\n")) {
      if (line.startsWith(name + ":")) {
        return line.substring(name.length() + 1).trim();
      }
    }
    return "";
  }

  private void await(Duration timeout, String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("timed out after " + timeout.toMillis() + " ms waiting for " + what
            + (sentinel != null && tilted() ? " — the sentinel is in TILT mode (starved of CPU for over 2 s)" : "")
            + " (sentinel log: " + dir.resolve("sentinel.log") + ")");
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for " + what, e);
      }
    }
  }
}
