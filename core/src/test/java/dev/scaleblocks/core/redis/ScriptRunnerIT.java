package dev.scaleblocks.core.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scaleblocks.core.testing.TestServices;
import dev.scaleblocks.core.testing.ThrowawayClusters;
import dev.scaleblocks.core.testing.ThrowawayRedis;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.util.JedisClusterCRC16;

/** The script runner against the real standalone Redis and the real 3-master Cluster. */
class ScriptRunnerIT {

  /** Increments a counter and returns {counter, the script's own constant}. */
  private static final RedisScript INCR =
      RedisScript.of("incr-by", "local v = redis.call('INCRBY', KEYS[1], ARGV[1]) "
          + "redis.call('PEXPIRE', KEYS[1], 60000) return v");
  private static final RedisScript TWO_KEYS =
      RedisScript.of("two-keys", "redis.call('SET', KEYS[1], ARGV[1], 'PX', 60000) "
          + "redis.call('SET', KEYS[2], ARGV[2], 'PX', 60000) "
          + "return {redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2])}");

  private static UnifiedJedis standalone;
  private static UnifiedJedis cluster;
  private static List<InetSocketAddress> clusterNodes;

  @BeforeAll
  static void connect() {
    InetSocketAddress redis = TestServices.redis();
    standalone = RedisClient.create(redis.getHostString(), redis.getPort());
    clusterNodes = TestServices.redisCluster();
    Set<HostAndPort> seeds = new HashSet<>();
    for (InetSocketAddress node : clusterNodes) {
      seeds.add(new HostAndPort(node.getHostString(), node.getPort()));
    }
    cluster = RedisClusterClient.create(seeds);
  }

  @AfterAll
  static void close() {
    standalone.close();
    cluster.close();
  }

  private static String key(String what) {
    return "scaleblocks:test:script:" + what + ":" + UUID.randomUUID();
  }

  @Test
  void shaMatchesWhatRedisComputes() {
    assertThat(standalone.scriptLoad(INCR.source())).isEqualTo(INCR.sha1());
  }

  /** SCRIPT FLUSH on a server of the test's own: the shared ones are never flushed. */
  @Test
  void runsOnStandaloneAndReloadsAfterScriptFlush() {
    try (ThrowawayRedis redis = ThrowawayRedis.start();
        UnifiedJedis own = RedisClient.create(redis.host(), redis.port());
        Jedis direct = new Jedis(redis.host(), redis.port())) {
      ScriptRunner runner = new ScriptRunner(own);
      String key = key("standalone");
      assertThat(runner.eval(INCR, List.of(key), List.of("2"))).isEqualTo(2L);
      assertThat(direct.scriptExists(INCR.sha1())).isTrue();

      direct.scriptFlush(); // NOSCRIPT on the next EVALSHA
      assertThat(direct.scriptExists(INCR.sha1())).isFalse();
      assertThat(runner.eval(INCR, List.of(key), List.of("3"))).isEqualTo(5L);
      assertThat(direct.scriptExists(INCR.sha1())).as("cached again by the fallback").isTrue();
      assertThat(runner.eval(INCR, List.of(key), List.of("1"))).isEqualTo(6L);
      assertThat(own.pttl(key)).isPositive();
    }
  }

  @Test
  void binaryFormReturnsBytes() {
    ScriptRunner runner = new ScriptRunner(standalone);
    String tag = "{" + UUID.randomUUID() + "}";
    byte[] a = ("scaleblocks:test:" + tag + ":a").getBytes(StandardCharsets.UTF_8);
    byte[] b = ("scaleblocks:test:" + tag + ":b").getBytes(StandardCharsets.UTF_8);
    byte[] v1 = {0, 1, (byte) 0xFF};
    byte[] v2 = {42};
    Object reply = runner.evalBinary(TWO_KEYS, List.of(a, b), List.of(v1, v2));
    assertThat(reply).isInstanceOf(List.class);
    List<?> values = (List<?>) reply;
    assertThat(values).hasSize(2);
    assertThat((byte[]) values.get(0)).containsExactly(v1);
    assertThat((byte[]) values.get(1)).containsExactly(v2);
  }

  @Test
  void runsOnEveryNodeOfTheSharedCluster() {
    ScriptRunner runner = new ScriptRunner(cluster);
    for (InetSocketAddress node : clusterNodes) {
      assertThat(runner.eval(INCR, List.of(keyOnNode(node)), List.of("4"))).isEqualTo(4L);
    }
  }

  /** SCRIPT FLUSH on every node of a three-master Cluster of the test's own. */
  @Test
  void runsOnEveryClusterNodeWithHashTaggedKeysAndReloadsAfterScriptFlush() {
    try (ThrowawayRedis a = ThrowawayRedis.start("--cluster-enabled", "yes");
        ThrowawayRedis b = ThrowawayRedis.start("--cluster-enabled", "yes");
        ThrowawayRedis c = ThrowawayRedis.start("--cluster-enabled", "yes")) {
      ThrowawayClusters.form(List.of(a, b, c));
      List<InetSocketAddress> nodes = List.of(
          InetSocketAddress.createUnresolved(a.host(), a.port()),
          InetSocketAddress.createUnresolved(b.host(), b.port()),
          InetSocketAddress.createUnresolved(c.host(), c.port()));
      try (UnifiedJedis own = ThrowawayClusters.client(List.of(a, b, c),
          redis.clients.jedis.DefaultJedisClientConfig.builder().build())) {
        flushAndReloadOnEveryNode(new ScriptRunner(own), nodes);
      }
    }
  }

  private static void flushAndReloadOnEveryNode(ScriptRunner runner, List<InetSocketAddress> clusterNodes) {
    // keys whose slots fall on each of the three masters
    for (InetSocketAddress node : clusterNodes) {
      String key = keyOnNode(node);
      assertThat(runner.eval(INCR, List.of(key), List.of("1"))).isEqualTo(1L);
    }
    // flush every node's script cache, then run on every node again: each replies NOSCRIPT once
    for (InetSocketAddress node : clusterNodes) {
      try (Jedis direct = new Jedis(node.getHostString(), node.getPort())) {
        assertThat(direct.scriptExists(INCR.sha1())).isTrue();
        direct.scriptFlush();
      }
    }
    for (InetSocketAddress node : clusterNodes) {
      String key = keyOnNode(node);
      assertThat(runner.eval(INCR, List.of(key), List.of("5"))).isEqualTo(5L);
      try (Jedis direct = new Jedis(node.getHostString(), node.getPort())) {
        assertThat(direct.scriptExists(INCR.sha1())).isTrue();
      }
    }
    String tag = "{" + UUID.randomUUID() + "}";
    Object reply = runner.eval(TWO_KEYS,
        List.of("scaleblocks:test:" + tag + ":x", "scaleblocks:test:" + tag + ":y"),
        List.of("1", "2"));
    assertThat(reply).isEqualTo(List.of("1", "2"));
  }

  @Test
  void keysInDifferentSlotsAreRefusedOnTheCluster() {
    ScriptRunner runner = new ScriptRunner(cluster);
    String a = "scaleblocks:test:a:" + UUID.randomUUID();
    String b = "scaleblocks:test:b:" + UUID.randomUUID();
    while (JedisClusterCRC16.getSlot(a) == JedisClusterCRC16.getSlot(b)) {
      b = "scaleblocks:test:b:" + UUID.randomUUID();
    }
    String other = b;
    assertThatThrownBy(() -> runner.eval(TWO_KEYS, List.of(a, other), List.of("1", "2")))
        .isInstanceOf(RuntimeException.class);
  }

  @Test
  void scriptErrorsSurfaceAsJedisDataException() {
    ScriptRunner runner = new ScriptRunner(standalone);
    RedisScript broken = RedisScript.of("broken", "return redis.call('NO_SUCH_COMMAND')");
    assertThatThrownBy(() -> runner.eval(broken, List.of(key("broken")), List.of()))
        .isInstanceOf(JedisDataException.class);
  }

  @Test
  void rejectsNullArguments() {
    ScriptRunner runner = new ScriptRunner(standalone);
    assertThatThrownBy(() -> new ScriptRunner(null)).hasMessage("jedis must not be null");
    assertThatThrownBy(() -> runner.eval(null, List.of(), List.of()))
        .hasMessage("script must not be null");
    assertThatThrownBy(() -> runner.eval(INCR, java.util.Arrays.asList("k", null), List.of()))
        .hasMessage("keys must not contain null");
  }

  /** A fresh key whose slot is served by {@code node}. */
  @SuppressWarnings("deprecation") // CLUSTER SLOTS: still answered by Redis 7, and simplest here
  private static String keyOnNode(InetSocketAddress node) {
    String address = node.getHostString() + ":" + node.getPort();
    try (Jedis direct = new Jedis(node.getHostString(), node.getPort())) {
      List<Object> slots = direct.clusterSlots();
      for (int attempt = 0; attempt < 10_000; attempt++) {
        String key = key("node");
        if (address.equals(ownerOf(slots, JedisClusterCRC16.getSlot(key)))) {
          return key;
        }
      }
    }
    throw new AssertionError("no key found for node " + address);
  }

  /** "host:port" of the master serving {@code slot}; a node that does not know its own address is "127.0.0.1". */
  private static String ownerOf(List<Object> slots, int slot) {
    for (Object range : slots) {
      List<?> r = (List<?>) range;
      if (slot >= (Long) r.get(0) && slot <= (Long) r.get(1)) {
        List<?> master = (List<?>) r.get(2);
        Object host = master.get(0);
        String name = host instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(host);
        return (name.isEmpty() ? "127.0.0.1" : name) + ":" + master.get(1);
      }
    }
    return "";
  }
}
