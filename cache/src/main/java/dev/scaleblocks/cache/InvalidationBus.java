package dev.scaleblocks.cache;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.scaleblocks.core.internal.redis.RedisBackend;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.BinaryJedisPubSub;
import redis.clients.jedis.BinaryJedisShardedPubSub;
import redis.clients.jedis.Connection;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * Cross-instance L1 invalidation over Redis pub/sub (sharded pub/sub on a Cluster).
 *
 * <h2>Why the design is safe against lost messages</h2>
 *
 * Pub/sub is fire-and-forget: a subscriber that is disconnected, or a publish that fails, loses
 * messages silently. Each instance therefore numbers its messages (instance id, incarnation,
 * sequence; the incarnation is random per start, so a restarted publisher that keeps a configured
 * instance id and starts its sequence again is recognised as a gap) and
 * announces its latest sequence number in a heartbeat every interval, also when it has nothing to
 * say. A receiver that sees a publisher's sequence jump (a message lost on the way, or a publish
 * that failed and consumed its number) clears its whole L1: it cannot know which keys it missed.
 * Every (re)subscription and every detected loss of the subscription also clears the L1, because
 * messages may have been missed while it was down. An instance that publishes but stops hearing
 * its own heartbeats declares its subscription dead and reconnects. So a lost invalidation is
 * noticed within about two heartbeats of the publisher reaching Redis again.
 *
 * <p>Messages carry keys, tags (a tag invalidation: receivers drop what their L1 filed under the
 * tags), "clear everything" or a heartbeat; every one but a heartbeat takes a sequence number.
 *
 * <p>Through a sentinel client the subscription follows the master: once per heartbeat the
 * publisher compares the node the subscription is on with the master the client now names, and
 * when they differ (a failover; a demoted master may keep the old subscription open for seconds
 * while everyone publishes on the new one) it drops the subscription, which clears L1 and
 * subscribes again on the new master. Over a Lettuce client on a {@code redis-sentinel://} URI,
 * core's backend does the same when the sentinels announce the new master ({@code
 * +switch-master}), for the subscription and the command connection alike.
 *
 * <h2>Threads</h2>
 *
 * One publisher thread drains a bounded queue of keys and sends them in batches (a full queue
 * degrades to one "clear everything" message, never to unbounded memory); publishing after the L2
 * write keeps the order "Redis updated, then others drop their L1". One subscriber thread holds the
 * blocking subscription on a connection of its own (never one of the client's pooled connections,
 * which callers need) and reconnects with backoff (50 ms doubling to 2 s, back to 50 ms once a
 * subscription was established). Both are daemon threads named after the cache. Over Lettuce the
 * subscription is core's ({@code RedisBackend.subscribe}: a pub/sub connection of its own, remade
 * with the same backoff by a thread of core's), messages arrive on Lettuce's I/O thread, and the
 * rest (numbering, heartbeats, gap detection, clearing L1 on a lost subscription) is the same.
 */
final class InvalidationBus implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(InvalidationBus.class);

  private static final byte MAGIC = 0x5C;
  private static final byte KEYS = 1;
  private static final byte ALL = 2;
  private static final byte HEARTBEAT = 3;
  private static final byte TAGS = 4;
  private static final int MAX_KEYS_PER_MESSAGE = 1000;
  private static final Object ALL_MARKER = new Object();

  /** What the cache does with what arrives. Called on the subscriber thread. */
  interface Listener {
    void onRemoteKeys(List<byte[]> keys);

    /** Drop every L1 entry filed under one of {@code tags}. */
    void onRemoteTags(List<String> tags);

    /** Drop the whole L1: {@code lost} messages may have been missed ({@code 0} when unknown). */
    void onClearAll(String reason, long lost);

    /** Called on the publisher thread about once per heartbeat interval. */
    void onTick();
  }

  private final RedisTier tier;
  /** The Jedis tier, whose subscription this bus holds on its own thread; null over Lettuce. */
  private final @Nullable JedisTier jedisTier;
  /** Over Lettuce: the subscription core's backend keeps (it has a thread of its own). */
  private volatile RedisBackend.@Nullable Subscription subscription;
  private final Listener listener;
  private final CacheMetrics metrics;
  private final String cacheName;
  private final byte[] instanceId;
  private final String instanceIdString;
  private final long incarnation = new java.security.SecureRandom().nextLong();
  private final byte[] channel;
  private final long heartbeatNanos;
  private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>(65_536);
  private final AtomicBoolean overflow = new AtomicBoolean();
  private final java.util.concurrent.CountDownLatch firstSubscription = new java.util.concurrent.CountDownLatch(1);
  private final Thread publisher;
  private final Thread subscriber;
  private final Map<String, long[]> lastSeen = new HashMap<>();
  private volatile boolean closed;
  private volatile boolean connected;
  private volatile @Nullable Connection connection;
  /** The node the current subscription is on. */
  private volatile @Nullable HostAndPort subscribedTo;
  private volatile long lastOwnConfirmed;
  private volatile boolean subscribedThisAttempt;
  private long sequence;

  InvalidationBus(RedisTier tier, Listener listener, CacheMetrics metrics, String cacheName,
      String instanceId, long heartbeatNanos) {
    this.tier = tier;
    this.jedisTier = tier instanceof JedisTier j ? j : null;
    this.listener = listener;
    this.metrics = metrics;
    this.cacheName = cacheName;
    this.instanceIdString = instanceId;
    this.instanceId = instanceId.getBytes(UTF_8);
    this.channel = ("scaleblocks:cache:inv:" + cacheName).getBytes(UTF_8);
    this.heartbeatNanos = heartbeatNanos;
    this.publisher = daemon(this::publishLoop, "scaleblocks-cache-" + cacheName + "-publisher");
    this.subscriber = daemon(this::subscribeLoop, "scaleblocks-cache-" + cacheName + "-subscriber");
  }

  /**
   * Starts both threads and waits up to {@code maxWait} for the first subscription, so that a new
   * cache does not begin by dropping what it has just loaded.
   */
  void start(java.time.Duration maxWait) {
    if (tier instanceof BackendTier lettuce) {
      subscription = lettuce.subscribe(channel, new RedisBackend.SubscriptionListener() {
        @Override
        public void onSubscribed() {
          InvalidationBus.this.onSubscribed();
        }

        @Override
        public void onMessage(byte[] message) {
          InvalidationBus.this.onMessage(message);
        }

        @Override
        public void onLost(String reason) {
          log.debug("cache {}: invalidation subscription lost: {}", cacheName, reason);
          lost();
        }
      });
    } else {
      subscriber.start();
    }
    publisher.start();
    try {
      if (!firstSubscription.await(maxWait.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("cache {}: invalidation channel not subscribed within {} ms; continuing, "
            + "L1 is cleared when it is", cacheName, maxWait.toMillis());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  boolean isConnected() {
    return connected;
  }

  /** Queues keys (already encoded) for the other instances to drop; never blocks. */
  void publishKeys(List<byte[]> keys) {
    for (byte[] key : keys) {
      if (!queue.offer(key)) {
        overflow.set(true);
        return;
      }
    }
  }

  /** Queues a tag for the other instances to drop from their L1; never blocks. */
  void publishTag(String tag) {
    if (!queue.offer(new TagMessage(tag.getBytes(UTF_8)))) {
      overflow.set(true);
    }
  }

  /** A tag in the publisher's queue. */
  @SuppressWarnings("ArrayRecordComponent") // queued and sent, never compared
  private record TagMessage(byte[] tag) {}

  /** Queues a "clear everything" message; never blocks. */
  void publishAll() {
    if (!queue.offer(ALL_MARKER)) {
      overflow.set(true);
    }
  }

  /** Drops the subscription as if the connection broke (for tests and operators). */
  void dropSubscription() {
    RedisBackend.Subscription s = subscription;
    if (s != null) {
      s.reconnect();
      return;
    }
    Connection c = connection;
    if (c != null) {
      c.disconnect();
    }
  }

  @Override
  public void close() {
    closed = true;
    publisher.interrupt();
    RedisBackend.Subscription s = subscription;
    if (s != null) {
      s.close();
    }
    dropSubscription();
    subscriber.interrupt();
  }

  // ---------------------------------------------------------------- publisher

  private void publishLoop() {
    long lastHeartbeat = System.nanoTime();
    List<Object> batch = new ArrayList<>();
    while (!closed) {
      try {
        Object first = queue.poll(heartbeatNanos, TimeUnit.NANOSECONDS);
        if (closed) {
          return;
        }
        boolean all = overflow.getAndSet(false);
        if (first != null) {
          batch.add(first);
          queue.drainTo(batch, MAX_KEYS_PER_MESSAGE - 1);
        }
        List<byte[]> keys = new ArrayList<>(batch.size());
        List<byte[]> tags = new ArrayList<>();
        for (Object o : batch) {
          if (o == ALL_MARKER) {
            all = true;
          } else if (o instanceof TagMessage t) {
            tags.add(t.tag());
          } else {
            keys.add((byte[]) o);
          }
        }
        batch.clear();
        if (all) {
          count(send(ALL, List.of()), 1);
        } else {
          if (!keys.isEmpty()) {
            count(send(KEYS, keys), keys.size());
          }
          if (!tags.isEmpty()) {
            count(send(TAGS, tags), tags.size());
          }
        }
        long now = System.nanoTime();
        if (now - lastHeartbeat >= heartbeatNanos) {
          lastHeartbeat = now;
          listener.onTick();
          sendHeartbeat();
          checkOwnMessages(now);
          checkMasterMoved();
        }
      } catch (InterruptedException e) {
        if (closed) {
          return;
        }
      } catch (RuntimeException e) {
        log.warn("cache {}: invalidation publisher failed", cacheName, e);
      }
    }
  }

  /** Numbers and publishes a message; a failed publish still uses up its number (receivers see a gap). */
  private boolean send(byte type, List<byte[]> keys) {
    sequence++;
    return tier.publish(channel, encode(type, sequence, keys));
  }

  private void count(boolean sent, int keys) {
    (sent ? metrics.invalidationsSent : metrics.invalidationsUnsent).add(keys);
  }

  private void sendHeartbeat() {
    tier.publish(channel, encode(HEARTBEAT, sequence, List.of()));
  }

  /**
   * Our own heartbeats come back through the subscription. When they stop (Redis unreachable,
   * a silently dead connection, the breaker open) other instances' messages may be lost too, so
   * the subscription is dropped, which clears L1 once, and re-established when Redis answers.
   */
  private void checkOwnMessages(long now) {
    long last = lastOwnConfirmed;
    if (connected && now - last > 3 * heartbeatNanos) {
      log.warn("cache {}: own invalidation heartbeats not received for {} ms, resubscribing",
          cacheName, (now - last) / 1_000_000);
      connected = false;
      listener.onClearAll("heartbeats lost", 0);
      dropSubscription();
    }
  }

  /** Through a sentinel client: a subscription left on a node that is no longer the master is dropped. */
  private void checkMasterMoved() {
    HostAndPort on = subscribedTo;
    JedisTier jedis = jedisTier;
    HostAndPort master = jedis == null ? null : jedis.sentinelMaster();
    if (connected && on != null && master != null && !master.equals(on)) {
      log.warn("cache {}: redis master moved from {} to {}, clearing L1 and subscribing there",
          cacheName, on, master);
      connected = false;
      listener.onClearAll("master moved", 0);
      dropSubscription();
    }
  }

  private byte[] encode(byte type, long seq, List<byte[]> keys) {
    int size = 2 + 1 + instanceId.length + 8 + 8 + 4;
    for (byte[] k : keys) {
      size += 4 + k.length;
    }
    ByteBuffer b = ByteBuffer.allocate(size);
    b.put(MAGIC).put(type).put((byte) instanceId.length).put(instanceId).putLong(incarnation).putLong(seq)
        .putInt(keys.size());
    for (byte[] k : keys) {
      b.putInt(k.length).put(k);
    }
    return b.array();
  }

  // ---------------------------------------------------------------- subscriber

  /** The Jedis subscription: held on this bus's subscriber thread, remade after every loss. */
  private void subscribeLoop() {
    JedisTier tier = java.util.Objects.requireNonNull(jedisTier);
    long backoffMillis = 50;
    while (!closed) {
      UnifiedJedis client = tier.client();
      subscribedThisAttempt = false;
      try {
        if (tier.ownsConnections()) {
          try (Connection conn = tier.dedicatedConnection(JedisClusterCRC16.getSlot(channel))) {
            connection = conn;
            subscribedTo = conn.getHostAndPort();
            if (!closed) {
              if (client instanceof RedisClusterClient) {
                new ShardedPubSub().proceed(conn, channel);
              } else {
                new PubSub().proceed(conn, channel);
              }
            }
          }
        } else {
          client.subscribe(new PubSub(), channel);
        }
      } catch (RuntimeException e) {
        if (!closed) {
          log.debug("cache {}: invalidation subscription failed: {}", cacheName, e.toString());
        }
      } finally {
        connection = null;
        subscribedTo = null;
        lost();
      }
      if (closed) {
        return;
      }
      if (subscribedThisAttempt) {
        backoffMillis = 50; // the subscription was healthy: a broken connection is retried promptly
      }
      try {
        Thread.sleep(backoffMillis);
      } catch (InterruptedException e) {
        if (closed) {
          return;
        }
      }
      backoffMillis = Math.min(2_000, backoffMillis * 2);
    }
  }

  /** The subscription is gone: L1 is cleared once (unless a check already did, or we are closing). */
  private void lost() {
    if (connected) {
      connected = false;
      if (!closed) {
        log.warn("cache {}: invalidation subscription lost, clearing L1 and reconnecting", cacheName);
        listener.onClearAll("subscription lost", 0);
      }
    }
  }

  private void onSubscribed() {
    subscribedThisAttempt = true;
    lastSeen.clear();
    lastOwnConfirmed = System.nanoTime();
    connected = true;
    log.info("cache {}: invalidation channel subscribed as instance {}", cacheName, instanceIdString);
    listener.onClearAll("subscribed", 0);
    firstSubscription.countDown();
  }

  private void onMessage(byte[] message) {
    try {
      handle(message);
    } catch (RuntimeException e) {
      log.warn("cache {}: unreadable invalidation message, clearing L1", cacheName, e);
      listener.onClearAll("unreadable message", 0);
    }
  }

  private void handle(byte[] message) {
    ByteBuffer b = ByteBuffer.wrap(message);
    if (b.get() != MAGIC) {
      throw new IllegalArgumentException("bad magic");
    }
    byte type = b.get();
    byte[] sender = new byte[b.get() & 0xFF];
    b.get(sender);
    long senderIncarnation = b.getLong();
    long seq = b.getLong();
    if (senderIncarnation == incarnation && java.util.Arrays.equals(sender, instanceId)) {
      lastOwnConfirmed = System.nanoTime();
      return;
    }
    String from = new String(sender, UTF_8);
    long now = System.nanoTime();
    long[] seen = lastSeen.get(from);
    long lost = 0;
    boolean restarted = false;
    if (seen != null && seen[2] != senderIncarnation) {
      // the same instance id from a new process: whatever it sent before we heard it is unknown
      restarted = true;
      lost = 1;
      seen[0] = seq;
      seen[1] = now;
      seen[2] = senderIncarnation;
    } else if (seen != null) {
      long expected = type == HEARTBEAT ? seen[0] : seen[0] + 1;
      if (seq > expected) {
        lost = seq - expected;
      }
      seen[0] = Math.max(seen[0], seq);
      seen[1] = now;
    } else {
      lastSeen.put(from, new long[] {seq, now, senderIncarnation});
      pruneSilentPublishers(now);
    }
    if (lost > 0) {
      metrics.invalidationsLost.add(lost);
      if (restarted) {
        log.warn("cache {}: instance {} restarted (new incarnation), clearing L1", cacheName, from);
      } else {
        log.warn("cache {}: {} invalidation message(s) from instance {} lost, clearing L1",
            cacheName, lost, from);
      }
      listener.onClearAll(restarted ? "publisher restarted" : "sequence gap", lost);
    }
    if (type == KEYS) {
      int n = b.getInt();
      List<byte[]> keys = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        byte[] k = new byte[b.getInt()];
        b.get(k);
        keys.add(k);
      }
      metrics.invalidationsReceived.add(n);
      listener.onRemoteKeys(keys);
    } else if (type == TAGS) {
      int n = b.getInt();
      List<String> tags = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        byte[] t = new byte[b.getInt()];
        b.get(t);
        tags.add(new String(t, UTF_8));
      }
      metrics.invalidationsReceived.add(n);
      listener.onRemoteTags(tags);
    } else if (type == ALL) {
      metrics.invalidationsReceived.increment();
      listener.onClearAll("invalidateAll from " + from, 0);
    }
  }

  private void pruneSilentPublishers(long now) {
    if (lastSeen.size() < 64) {
      return;
    }
    for (Iterator<long[]> it = lastSeen.values().iterator(); it.hasNext(); ) {
      if (now - it.next()[1] > 100 * heartbeatNanos) {
        it.remove();
      }
    }
  }

  private final class PubSub extends BinaryJedisPubSub {
    @Override
    public void onSubscribe(byte[] channel, int subscribedChannels) {
      onSubscribed();
    }

    @Override
    public void onMessage(byte[] channel, byte[] message) {
      InvalidationBus.this.onMessage(message);
    }
  }

  private final class ShardedPubSub extends BinaryJedisShardedPubSub {
    @Override
    public void onSSubscribe(byte[] channel, int subscribedChannels) {
      onSubscribed();
    }

    @Override
    public void onSMessage(byte[] channel, byte[] message) {
      InvalidationBus.this.onMessage(message);
    }
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}
