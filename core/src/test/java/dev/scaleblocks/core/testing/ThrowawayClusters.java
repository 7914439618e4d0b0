package dev.scaleblocks.core.testing;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.RedisClusterClient;

/**
 * Redis Clusters of the test's own, made of {@link ThrowawayRedis} servers started with {@code
 * --cluster-enabled yes}: the slots split evenly over the nodes (masters only), and a slot moved
 * from one node to another with its keys, as a resharding does.
 */
public final class ThrowawayClusters {

  private ThrowawayClusters() {}

  /** Gives {@code node} every slot and returns a cluster client over it, once the cluster is ok. */
  public static RedisClusterClient oneNode(ThrowawayRedis node, JedisClientConfig config) {
    form(List.of(node));
    return client(List.of(node), config);
  }

  /** A cluster client over {@code nodes} (already formed). */
  public static RedisClusterClient client(List<ThrowawayRedis> nodes, JedisClientConfig config) {
    Set<HostAndPort> seeds = new HashSet<>();
    for (ThrowawayRedis n : nodes) {
      seeds.add(new HostAndPort(n.host(), n.port()));
    }
    return RedisClusterClient.builder().nodes(seeds).clientConfig(config).build();
  }

  /** Splits the 16 384 slots evenly over {@code nodes} and joins them; waits until every node says ok. */
  public static void form(List<ThrowawayRedis> nodes) {
    int per = 16_384 / nodes.size();
    for (int i = 0; i < nodes.size(); i++) {
      int from = i * per;
      int to = i == nodes.size() - 1 ? 16_383 : from + per - 1;
      try (Jedis j = jedis(nodes.get(i))) {
        j.sendCommand(redis.clients.jedis.Protocol.Command.CLUSTER, "ADDSLOTSRANGE", Integer.toString(from), Integer.toString(to));
        if (i > 0) {
          j.clusterMeet(nodes.get(0).host(), nodes.get(0).port());
        }
      }
    }
    await(nodes, "every node to see " + nodes.size() + " nodes and cluster_state:ok", () -> {
      for (ThrowawayRedis n : nodes) {
        try (Jedis j = jedis(n)) {
          String info = j.clusterInfo();
          if (!info.contains("cluster_state:ok") || !info.contains("cluster_known_nodes:" + nodes.size())) {
            return false;
          }
        }
      }
      return true;
    });
  }

  /** Moves {@code slot} with its keys from {@code from} to {@code to} (IMPORTING, MIGRATING, MIGRATE, NODE). */
  public static void moveSlot(ThrowawayRedis from, ThrowawayRedis to, int slot) {
    try (Jedis source = jedis(from); Jedis target = jedis(to)) {
      String sourceId = source.clusterMyId();
      String targetId = target.clusterMyId();
      target.clusterSetSlotImporting(slot, sourceId);
      source.clusterSetSlotMigrating(slot, targetId);
      List<String> keys;
      while (!(keys = source.clusterGetKeysInSlot(slot, 100)).isEmpty()) {
        source.migrate(to.host(), to.port(), 0, 5_000, new redis.clients.jedis.params.MigrateParams(),
            keys.toArray(new String[0]));
      }
      target.clusterSetSlotNode(slot, targetId);
      source.clusterSetSlotNode(slot, targetId);
    }
  }

  private static Jedis jedis(ThrowawayRedis node) {
    return new Jedis(new HostAndPort(node.host(), node.port()),
        redis.clients.jedis.DefaultJedisClientConfig.builder().timeoutMillis(2_000).autoNegotiateProtocol(false).build());
  }

  private interface Check {
    boolean ok();
  }

  private static void await(List<ThrowawayRedis> nodes, String what, Check check) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      if (check.ok()) {
        return;
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    throw new IllegalStateException("timed out waiting for " + what + " on " + nodes.size() + " throw-away nodes");
  }
}
