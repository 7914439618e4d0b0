package dev.scaleblocks.core.internal.redis;

import dev.scaleblocks.core.internal.redis.RedisBackend.Subscription;
import dev.scaleblocks.core.internal.redis.RedisBackend.SubscriptionListener;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A subscription over Lettuce: one pub/sub connection of its own at a time ({@code SUBSCRIBE} on a
 * standalone Redis; on a Cluster, {@code SSUBSCRIBE} on the cluster pub/sub connection's link to
 * the master owning the channel's slot), made by a daemon thread that waits while it lives.
 *
 * <p>A loss is a disconnection of that link, reported by the client's connection events, or a
 * {@link #reconnect}. The link is then closed rather than left to Lettuce's own reconnection, and a
 * new connection is made after a backoff (50 ms doubling to 2 s, 50 ms again once subscribed): so
 * every subscription starts on a fresh connection to whatever node owns the slot now, and a
 * loss is reported once, at the time it happens. Messages and {@code onSubscribed} come on
 * Lettuce's I/O thread, {@code onLost} on the subscription's thread.
 *
 * <p>Thread-safe. Cost: one connection and one mostly parked thread per subscription.
 */
final class LettuceSubscription implements Subscription {

  private static final Logger log = LoggerFactory.getLogger(LettuceSubscription.class);
  private static final long SUBSCRIBE_TIMEOUT_MILLIS = 10_000;

  private final AbstractRedisClient client;
  private final byte[] channel;
  private final SubscriptionListener listener;
  private final Thread thread;
  private volatile boolean closed;
  private volatile boolean subscribed;
  /** Completed (with the reason) when the current attempt's link is lost or dropped. */
  private volatile CompletableFuture<String> ended = new CompletableFuture<>();
  /** The link the current attempt subscribed on: its disconnection is the loss. */
  private volatile @Nullable RedisChannelHandler<?, ?> link;

  private final RedisConnectionStateListener disconnects = new RedisConnectionStateListener() {
    @Override
    public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
      if (connection == link) {
        ended.complete("connection lost");
      }
    }
  };

  private LettuceSubscription(AbstractRedisClient client, byte[] channel, SubscriptionListener listener) {
    this.client = client;
    this.channel = channel;
    this.listener = listener;
    this.thread = new Thread(this::loop, "scaleblocks-redis-subscriber");
    thread.setDaemon(true);
  }

  /** Starts a subscription on {@code client}, a {@link RedisClient} or a {@link RedisClusterClient}. */
  static LettuceSubscription start(Object client, byte[] channel, SubscriptionListener listener) {
    LettuceSubscription s = new LettuceSubscription((AbstractRedisClient) client, channel, listener);
    s.client.addListener(s.disconnects);
    s.thread.start();
    return s;
  }

  private void loop() {
    long backoffMillis = 50;
    while (!closed) {
      CompletableFuture<String> end = new CompletableFuture<>();
      ended = end;
      StatefulRedisPubSubConnection<byte[], byte[]> connection = null;
      String reason;
      try {
        connection = client instanceof RedisClusterClient cc
            ? subscribeOnCluster(cc.connectPubSub(ByteArrayCodec.INSTANCE))
            : subscribeStandalone(((RedisClient) client).connectPubSub(ByteArrayCodec.INSTANCE));
        reason = closed ? "closed" : end.get();
      } catch (InterruptedException e) {
        reason = "interrupted";
      } catch (Exception e) {
        reason = e.toString();
        log.debug("subscription failed: {}", reason);
      }
      link = null;
      if (connection != null) {
        closeQuietly(connection);
      }
      if (subscribed) {
        subscribed = false;
        backoffMillis = 50;
        if (!closed) {
          listener.onLost(reason);
        }
      }
      if (closed) {
        return;
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

  private RedisPubSubAdapter<byte[], byte[]> callbacks(boolean sharded) {
    return new RedisPubSubAdapter<>() {
      @Override
      public void subscribed(byte[] ch, long count) {
        if (!sharded) {
          subscribedNow();
        }
      }

      @Override
      public void ssubscribed(byte[] ch, long count) {
        if (sharded) {
          subscribedNow();
        }
      }

      @Override
      public void message(byte[] ch, byte[] message) {
        if (!sharded) {
          listener.onMessage(message);
        }
      }

      @Override
      public void smessage(byte[] ch, byte[] message) {
        if (sharded) {
          listener.onMessage(message);
        }
      }
    };
  }

  private void subscribedNow() {
    if (closed || subscribed) {
      return; // a resubscription by Lettuce itself: its loss was already reported, and ended
    }
    subscribed = true;
    listener.onSubscribed();
  }

  private StatefulRedisPubSubConnection<byte[], byte[]> subscribeStandalone(
      StatefulRedisPubSubConnection<byte[], byte[]> c) throws Exception {
    try {
      link = (RedisChannelHandler<?, ?>) c;
      c.addListener(callbacks(false));
      c.async().subscribe(channel).get(SUBSCRIBE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
      return c;
    } catch (Exception e) {
      closeQuietly(c);
      throw e;
    }
  }

  private StatefulRedisPubSubConnection<byte[], byte[]> subscribeOnCluster(
      StatefulRedisClusterPubSubConnection<byte[], byte[]> c) throws Exception {
    try {
      RedisClusterNode owner = c.getPartitions().getMasterBySlot(SlotHash.getSlot(channel));
      if (owner == null) {
        throw new IllegalStateException("no master serves slot " + SlotHash.getSlot(channel));
      }
      StatefulRedisPubSubConnection<byte[], byte[]> node = c.getConnection(owner.getNodeId());
      link = (RedisChannelHandler<?, ?>) node;
      node.addListener(callbacks(true));
      node.async().ssubscribe(channel).get(SUBSCRIBE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
      return c;
    } catch (Exception e) {
      closeQuietly(c);
      throw e;
    }
  }

  /** Closes without waiting for the server (which may be paused or gone). */
  @SuppressWarnings("FutureReturnValueIgnored") // its outcome is logged here
  private static void closeQuietly(StatefulRedisPubSubConnection<byte[], byte[]> c) {
    c.closeAsync().whenComplete((ok, e) -> {
      if (e != null) {
        log.debug("closing a subscription connection failed: {}", e.toString());
      }
    });
  }

  /** Whether {@link #close} was called. */
  boolean isClosed() {
    return closed;
  }

  @Override
  public void reconnect() {
    ended.complete("dropped");
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    client.removeListener(disconnects);
    ended.complete("closed");
    thread.interrupt();
  }
}
