package dev.scaleblocks.cache;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.exceptions.JedisClusterOperationException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisMovedDataException;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * Runs a Cluster call's commands on the node that owns the keys, under one deadline (the L2
 * timeout from the call's start), with connections lent from the client's own node pools by
 * {@link DeadlineConnections}: waiting for a connection and for every node's answer together end
 * within the deadline, whatever the client's pool wait and socket timeouts. The client, its pools
 * and its configuration are left as they are.
 *
 * <p>Jedis keeps its slot map to itself, so this class keeps its own copy: read with {@code
 * CLUSTER SLOTS} (under the calling deadline) on first use. A node that answers {@code MOVED} (a
 * resharding or a failover) names the slot's new owner: the map takes it at once, the call is
 * tried once more there if time is left, and the client's topology and the whole map are read
 * again off the caller's thread (one such task at a time, the map at most once per {@link
 * #RELOAD_INTERVAL_NANOS}). A node the client has no
 * pool for yet (it joined after the client last read the topology) fails the call like a node that
 * does not answer, and the client is asked to re-read its topology off the caller's thread.
 *
 * <p>Thread-safe. Cost per call: an array read and a map lookup on top of {@link
 * DeadlineConnections}; a multi-key call groups its keys by node, one pipeline (one round trip)
 * per node, visited one after the other.
 */
final class ClusterRouting {

  private static final Logger log = LoggerFactory.getLogger(ClusterRouting.class);

  static final int SLOTS = 16_384;
  static final long RELOAD_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  private final RedisClusterClient client;
  private final Duration timeout;
  private final long timeoutNanos;
  /** Slot → "host:port" of its master; null until first read. */
  private volatile String @Nullable [] owners;
  private volatile long reloadedAt = System.nanoTime() - 2 * RELOAD_INTERVAL_NANOS;
  private final Map<String, DeadlineConnections> lenders = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicBoolean resyncing = new java.util.concurrent.atomic.AtomicBoolean();

  ClusterRouting(RedisClusterClient client, Duration timeout) {
    this.client = client;
    this.timeout = timeout;
    this.timeoutNanos = timeout.toNanos();
  }

  /** A deadline for a call starting now ({@link System#nanoTime()} based). */
  long deadline() {
    return System.nanoTime() + timeoutNanos;
  }

  /** Runs {@code body} on the node owning {@code key}, under {@code deadline}; retried once after MOVED. */
  <T> T onKey(byte[] key, long deadline, DeadlineConnections.Body<T> body) {
    int slot = JedisClusterCRC16.getSlot(key);
    try {
      return lender(node(slot, deadline)).withConnection(deadline, body);
    } catch (JedisMovedDataException e) {
      moved(e);
      return lender(node(slot, deadline)).withConnection(deadline, body);
    }
  }

  /** Commands for some of a multi-key call's keys, on one node's connection. */
  interface NodeBody {
    /** Sends the commands for {@code indexes} (into the call's key list) and reads their replies. */
    void run(Connection connection, List<Integer> indexes);
  }

  /**
   * Groups {@code keys} by the node that owns them and runs {@code body} once per node, each on a
   * connection of that node, all under {@code deadline}; the whole call is tried once more after a
   * MOVED reply (bodies must therefore be safe to repeat).
   */
  void eachNode(List<byte[]> keys, long deadline, NodeBody body) {
    try {
      eachNodeOnce(keys, deadline, body);
    } catch (JedisMovedDataException e) {
      moved(e);
      eachNodeOnce(keys, deadline, body);
    }
  }

  private void eachNodeOnce(List<byte[]> keys, long deadline, NodeBody body) {
    Map<String, List<Integer>> byNode = new LinkedHashMap<>();
    for (int i = 0; i < keys.size(); i++) {
      byNode.computeIfAbsent(node(JedisClusterCRC16.getSlot(keys.get(i)), deadline), n -> new ArrayList<>()).add(i);
    }
    for (Map.Entry<String, List<Integer>> e : byNode.entrySet()) {
      List<Integer> indexes = e.getValue();
      lender(e.getKey()).withConnection(deadline, c -> {
        body.run(c, indexes);
        return Boolean.TRUE;
      });
    }
  }

  /** The masters serving at least one slot, each as the lender of its pool. */
  List<DeadlineConnections> masters(long deadline) {
    String[] map = owners;
    if (map == null) {
      map = reload(deadline);
    }
    List<DeadlineConnections> out = new ArrayList<>();
    for (String node : new LinkedHashSet<>(java.util.Arrays.asList(map))) {
      if (node != null) {
        out.add(lender(node));
      }
    }
    return out;
  }

  /** The pool of the master owning {@code slot}, for a connection of its own made by its factory. */
  ConnectionPool poolFor(int slot) {
    return (ConnectionPool) lender(node(slot, deadline())).pool();
  }

  private String node(int slot, long deadline) {
    String[] map = owners;
    String node = map == null ? null : map[slot];
    if (node == null) {
      node = reload(deadline)[slot];
      if (node == null) {
        throw new JedisClusterOperationException("no node of the cluster serves slot " + slot);
      }
    }
    return node;
  }

  private DeadlineConnections lender(String node) {
    DeadlineConnections lender = lenders.get(node);
    if (lender != null && lender.isOpen()) {
      return lender;
    }
    ConnectionPool pool = client.getClusterNodes().get(node);
    if (pool == null || pool.isClosed()) {
      lenders.remove(node);
      resyncInBackground();
      throw new JedisConnectionException("cluster node " + node + " is not known to the redis client yet");
    }
    DeadlineConnections fresh = new DeadlineConnections(pool, timeout);
    lenders.put(node, fresh);
    return fresh;
  }

  /**
   * Has the client re-read its topology and this class its slot map, off the caller's thread: at
   * most one such task at a time, on the shared helper threads, whatever the number of callers that
   * saw a MOVED reply or an unknown node meanwhile (a resharding answers MOVED to many calls at once).
   */
  private void resyncInBackground() {
    if (!resyncing.compareAndSet(false, true)) {
      return;
    }
    Runnable resync = () -> {
      try {
        client.refreshClusterTopology();
        if (System.nanoTime() - reloadedAt >= RELOAD_INTERVAL_NANOS) {
          reload(deadline());
        }
      } catch (RuntimeException e) {
        log.debug("re-reading the redis cluster topology failed: {}", e.toString());
      } finally {
        resyncing.set(false);
      }
    };
    if (!DeadlineConnections.runInBackground(resync)) {
      resyncing.set(false); // every helper busy: the next MOVED tries again
    }
  }

  /** Takes the new owner a MOVED reply names, and has the topology read again in the background. */
  private void moved(JedisMovedDataException e) {
    String[] current = owners;
    int slot = e.getSlot();
    if (current != null && slot >= 0 && slot < SLOTS) {
      String[] next = current.clone();
      next[slot] = e.getTargetNode().toString();
      owners = next;
    }
    log.debug("redis cluster answered {}, reading the slot map again", e.getMessage());
    resyncInBackground();
  }

  /**
   * Reads the slot map again with CLUSTER SLOTS from the first node that answers within the
   * deadline, unless another call did so within {@link #RELOAD_INTERVAL_NANOS}; answers the map.
   */
  private String[] reload(long deadline) {
    String[] current = owners;
    long now = System.nanoTime();
    if (current != null && now - reloadedAt < RELOAD_INTERVAL_NANOS) {
      return current;
    }
    RuntimeException last = null;
    List<String> candidates = new ArrayList<>();
    if (current != null) {
      candidates.addAll(new LinkedHashSet<>(java.util.Arrays.asList(current)));
      candidates.remove(null);
    }
    for (String node : client.getClusterNodes().keySet()) {
      if (!candidates.contains(node)) {
        candidates.add(node);
      }
    }
    for (String node : candidates) {
      try {
        String host = node.substring(0, node.lastIndexOf(':'));
        String[] map = lender(node).withConnection(deadline, c -> parse(clusterSlots(c), host));
        owners = map;
        reloadedAt = System.nanoTime();
        return map;
      } catch (RuntimeException e) {
        last = e;
        if (deadline - System.nanoTime() <= 0) {
          break;
        }
      }
    }
    if (last != null) {
      throw last;
    }
    throw new JedisClusterOperationException("the redis cluster client knows no node to read the slot map from");
  }

  /**
   * CLUSTER SLOTS, sent as a raw command: it is what Redis 6 and 7 both answer (CLUSTER SHARDS is 7
   * only), and what Jedis reads its own map from.
   */
  private static List<?> clusterSlots(Connection c) {
    Object reply = new Jedis(c).sendCommand(Protocol.Command.CLUSTER, "SLOTS");
    if (reply instanceof List<?> list) {
      return list;
    }
    throw new JedisClusterOperationException("unexpected reply to CLUSTER SLOTS: " + reply);
  }

  /**
   * CLUSTER SLOTS: [[start, end, [host, port, id, …], replicas…], …] → slot → "host:port"; an
   * empty host (a node that does not know its own address) is the one asked, as Jedis reads it.
   */
  private static String[] parse(List<?> reply, String askedHost) {
    String[] map = new String[SLOTS];
    for (Object o : reply) {
      List<?> range = (List<?>) o;
      int start = (int) (long) (Long) range.get(0);
      int end = (int) (long) (Long) range.get(1);
      List<?> master = (List<?>) range.get(2);
      String host = new String((byte[]) master.get(0), UTF_8);
      String node = (host.isEmpty() ? askedHost : host) + ":" + master.get(1);
      for (int s = start; s <= end && s < SLOTS; s++) {
        map[s] = node;
      }
    }
    return map;
  }
}
