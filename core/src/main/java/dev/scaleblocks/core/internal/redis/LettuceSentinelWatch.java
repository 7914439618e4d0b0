package dev.scaleblocks.core.internal.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hears the sentinels announce that the master of a {@code redis-sentinel://} {@link RedisClient}
 * moved ({@code +switch-master}), so that the connections made on that client can be remade at
 * once on the new master.
 *
 * <p>Why it is needed: Lettuce asks the sentinels for the master only when it connects or
 * reconnects, and a failover does not always drop the connections to the old master. After {@code
 * SENTINEL FAILOVER} the old master keeps its clients, and takes their writes, until the sentinel
 * demotes it 8–10 s later; a frozen (or cut off) master keeps them until it answers again. Lettuce
 * follows the announcement itself only on a master/replica connection, which a plain client does
 * not make.
 *
 * <p>One pub/sub connection per sentinel listed in the client's URI, made when the watch starts;
 * Lettuce reconnects and resubscribes it after a loss. A sentinel that cannot be reached then is
 * not watched (the others are; with none, connections move only when the old master drops them).
 * {@code onSwitch} runs on Lettuce's I/O thread, once per new master address (every sentinel
 * announces the same switch), and must not block.
 *
 * <p>The client's URI is not public in Lettuce: it is read from the client's {@code redisURI}
 * field. If that fails (a Lettuce without the field) no watch is made and the connections behave
 * as Lettuce's own.
 *
 * <p>Thread-safe. Cost: one connection per sentinel, idle but for failovers.
 */
final class LettuceSentinelWatch implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(LettuceSentinelWatch.class);
  private static final String SWITCH_MASTER = "+switch-master";

  private final String masterId;
  private final Runnable onSwitch;
  private final List<StatefulRedisPubSubConnection<String, String>> connections = new ArrayList<>();
  /** The last new master announced ("ip port"), so that each sentinel's copy acts once. */
  private volatile @Nullable String lastSwitchTo;

  private LettuceSentinelWatch(String masterId, Runnable onSwitch) {
    this.masterId = masterId;
    this.onSwitch = onSwitch;
  }

  /**
   * Starts watching the sentinels of {@code client}'s URI; null when the client is not on a
   * {@code redis-sentinel://} URI (or its URI cannot be read), so there is nothing to watch.
   * Blocks at most each sentinel's connect and command timeout.
   */
  static @Nullable LettuceSentinelWatch start(RedisClient client, Runnable onSwitch) {
    RedisURI uri = uriOf(client);
    if (uri == null || uri.getSentinels().isEmpty() || uri.getSentinelMasterId() == null) {
      return null;
    }
    LettuceSentinelWatch watch = new LettuceSentinelWatch(uri.getSentinelMasterId(), onSwitch);
    for (RedisURI sentinel : uri.getSentinels()) {
      try {
        StatefulRedisPubSubConnection<String, String> c = client.connectPubSub(StringCodec.UTF8, sentinel);
        c.addListener(watch.new Switches());
        watch.connections.add(c);
        c.async().subscribe(SWITCH_MASTER).get(sentinel.getTimeout().toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        log.warn("cannot watch sentinel {}:{} for failovers of '{}' ({}); connections move when the old "
            + "master drops them", sentinel.getHost(), sentinel.getPort(), watch.masterId, e.toString());
      }
    }
    return watch;
  }

  /** The URI a {@link RedisClient} was created with; null when it cannot be read. */
  static @Nullable RedisURI uriOf(RedisClient client) {
    try {
      Field f = RedisClient.class.getDeclaredField("redisURI");
      f.setAccessible(true);
      return (RedisURI) f.get(client);
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.debug("cannot read the client's URI, sentinel failovers are not watched: {}", e.toString());
      return null;
    }
  }

  private final class Switches extends RedisPubSubAdapter<String, String> {
    @Override
    public void message(String channel, String message) {
      // "<master name> <old ip> <old port> <new ip> <new port>"
      String[] parts = message.split(" ", -1);
      if (!SWITCH_MASTER.equals(channel) || parts.length != 5 || !parts[0].equals(masterId)) {
        return;
      }
      String to = parts[3] + " " + parts[4];
      if (to.equals(lastSwitchTo)) {
        return;
      }
      lastSwitchTo = to;
      log.info("sentinel: master '{}' moved from {}:{} to {}:{}, reconnecting", masterId, parts[1], parts[2],
          parts[3], parts[4]);
      try {
        onSwitch.run();
      } catch (RuntimeException e) {
        log.warn("reconnecting after a failover of '{}' failed", masterId, e);
      }
    }
  }

  @Override
  @SuppressWarnings("FutureReturnValueIgnored") // closing is best effort
  public void close() {
    for (StatefulRedisPubSubConnection<String, String> c : connections) {
      c.closeAsync();
    }
  }
}
