package dev.scaleblocks.core.internal.redis;

import dev.scaleblocks.core.redis.RedisScript;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * What the blocks ask of Redis, whatever client the user gave them: scripts, GET, MGET, SET with
 * an expiry (plain and {@code NX}), GET with the key's PTTL (one key or many), DEL, SCAN-and-DEL by
 * pattern, PUBLISH (plain, and sharded on a Cluster) and TIME, each as a blocking call and as a
 * call that returns a {@link CompletableFuture}; and a long-lived subscription to one channel. Made by {@link RedisBackends}; implemented over Jedis'
 * {@code UnifiedJedis} and over Lettuce.
 *
 * <h2>Replies</h2>
 *
 * <p>Keys, arguments and values are bytes, passed as they are (binary-safe). A script's reply
 * comes back in one neutral form, whatever the client: an integer as {@link Long}, a bulk or
 * status string as {@code byte[]}, an array as a {@link List} of these (nested as the script
 * nests them), a nil (Lua {@code false} or {@code nil}) as {@code null}. An error reply, from the
 * script or from Redis, is thrown (or fails the future).
 *
 * <h2>Scripts</h2>
 *
 * <p>A script is sent by {@code EVALSHA}; a {@code NOSCRIPT} reply (first use, a restart, {@code
 * SCRIPT FLUSH}, a failover, a Cluster node that never saw it) is answered with one {@code EVAL}
 * of the source, which runs it and leaves it cached on that node. On a Cluster a call is routed by
 * its first key: all keys of one script call must share a hash slot ({@code {hash tag}}).
 *
 * <h2>Blocking and asynchronous forms</h2>
 *
 * <ul>
 *   <li><b>Jedis</b>: every call blocks the calling thread for its round trip, the asynchronous
 *       forms included: they run the call on the caller's thread and return a future that is
 *       already complete. Never call them on an event loop; hand them to an executor.
 *   <li><b>Lettuce</b>: the asynchronous forms send the command and return at once; the future is
 *       completed on Lettuce's I/O thread (dependent stages without an executor run there too, so
 *       they must not block). The blocking forms wait for that future, at most the connection's
 *       timeout.
 * </ul>
 *
 * <p>Errors come as the client raises them (Jedis' {@code JedisException}s, Lettuce's {@code
 * RedisException}s), unchecked, in the blocking forms thrown, in the asynchronous forms as the
 * future's exception. A backend never retries beyond the {@code NOSCRIPT} reload.
 *
 * <p>Not {@link AutoCloseable}: the user owns the client and closes it; a backend holds nothing
 * that outlives it, but for the one connection a Lettuce backend opens, which its owner may
 * close early ({@link #disconnect}). Implementations are thread-safe. Cost per call: the client's own, plus for a
 * script one {@code EVAL} round trip the first time a node sees it.
 */
public interface RedisBackend {

  /**
   * The client library under this backend: {@code "jedis"} or {@code
   * "lettuce"}.
   */
  String client();

  /** Whether the client talks to a Redis Cluster (and so splits multi-key calls by slot). */
  boolean cluster();

  /**
   * The Cluster hash slot of {@code key} (of its {@code {hash tag}} when it has one), as the
   * client computes it; 0 on a standalone Redis. Calls whose keys share a slot may be sent as one.
   */
  int slot(byte[] key);

  /**
   * Whether the asynchronous forms really are asynchronous (Lettuce), rather
   * than blocking calls with a completed future (plain Jedis).
   */
  boolean nonBlocking();

  /** Runs {@code script} with {@code keys} and {@code args}; the reply in the neutral form. */
  @Nullable Object eval(RedisScript script, List<byte[]> keys, List<byte[]> args);

  /** {@link #eval} without waiting (see the class comment for where it completes). */
  CompletableFuture<@Nullable Object> evalAsync(
      RedisScript script, List<byte[]> keys, List<byte[]> args);

  /** {@code GET key}: the value, or {@code null} when absent. */
  byte @Nullable [] get(byte[] key);

  /** {@link #get} without waiting. */
  CompletableFuture<byte @Nullable []> getAsync(byte[] key);

  /**
   * The values of {@code keys}, in their order, {@code null} for an absent key. One {@code MGET}
   * on a standalone Redis; on a Cluster one {@code MGET} per hash slot, pipelined (one round trip
   * per node), reassembled in the order asked.
   */
  List<byte @Nullable []> mget(List<byte[]> keys);

  /** {@link #mget} without waiting. */
  CompletableFuture<List<byte @Nullable []>> mgetAsync(List<byte[]> keys);

  /** {@code SET key value PX ttl}. */
  void set(byte[] key, byte[] value, Duration ttl);

  /** {@link #set} without waiting. */
  CompletableFuture<@Nullable Void> setAsync(byte[] key, byte[] value, Duration ttl);

  /** {@code SET key value NX PX ttl}: whether it was set (false when the key already existed). */
  boolean setIfAbsent(byte[] key, byte[] value, Duration ttl);

  /** {@link #setIfAbsent} without waiting. */
  CompletableFuture<Boolean> setIfAbsentAsync(byte[] key, byte[] value, Duration ttl);

  /** {@code PUBLISH channel message}: how many subscribers received it (on that node). */
  long publish(byte[] channel, byte[] message);

  /** {@link #publish} without waiting. */
  CompletableFuture<Long> publishAsync(byte[] channel, byte[] message);

  /**
   * A key's value and its remaining time to live as {@code PTTL} answers it: milliseconds, {@code
   * -1} for a key without expiry, {@code -2} for an absent key (then {@code value} is null).
   */
  @SuppressWarnings("ArrayRecordComponent") // bytes as Redis sent them; never compared by value
  record ValueTtl(byte @Nullable [] value, long pttlMillis) {
    /** An absent key. */
    public static final ValueTtl ABSENT = new ValueTtl(null, -2);
  }

  /**
   * {@code GET key} and {@code PTTL key} in one round trip (pipelined, on the node owning the key),
   * so the value and the time it has left are read together by the server's clock.
   */
  ValueTtl getWithTtl(byte[] key);

  /** {@link #getWithTtl} without waiting. */
  CompletableFuture<ValueTtl> getWithTtlAsync(byte[] key);

  /**
   * {@link #getWithTtl} for many keys, in their order: one pipeline (one round trip) per node: on
   * a standalone Redis one {@code MGET} and the {@code PTTL}s; on a Cluster {@code GET} and {@code
   * PTTL} per key, sent to each node together.
   */
  List<ValueTtl> mgetWithTtl(List<byte[]> keys);

  /** {@link #mgetWithTtl} without waiting. */
  CompletableFuture<List<ValueTtl>> mgetWithTtlAsync(List<byte[]> keys);

  /**
   * Deletes {@code keys}: one {@code DEL} on a standalone Redis, one pipeline of {@code DEL}s per
   * node on a Cluster; how many existed.
   */
  long del(List<byte[]> keys);

  /** {@link #del} without waiting. */
  CompletableFuture<Long> delAsync(List<byte[]> keys);

  /**
   * Deletes every key matching the glob {@code pattern}: {@code SCAN MATCH} pages (of about 500
   * keys), each followed by a {@code DEL} of what it found, on the standalone server or on every
   * master of a Cluster in turn; how many were deleted. A long walk: nothing bounds it as a whole
   * but each command's own timeout; keys written meanwhile may or may not be seen.
   */
  long deleteMatching(byte[] pattern);

  /** {@link #deleteMatching} without waiting (the pages are chained, none waits for another thread). */
  CompletableFuture<Long> deleteMatchingAsync(byte[] pattern);

  /**
   * Publishes to the subscribers {@link #subscribe} makes: {@code PUBLISH} on a standalone Redis,
   * {@code SPUBLISH} on a Cluster (to the node owning the channel's slot only, rather than to every
   * node); how many subscribers received it.
   */
  long publishSharded(byte[] channel, byte[] message);

  /** {@link #publishSharded} without waiting. */
  CompletableFuture<Long> publishShardedAsync(byte[] channel, byte[] message);

  /** What a {@link #subscribe subscription} reports. */
  interface SubscriptionListener {
    /** The channel is subscribed: the first time and after every reconnection. */
    void onSubscribed();

    /** A message published on the channel. */
    void onMessage(byte[] message);

    /**
     * The subscription is lost (the connection broke, or {@link Subscription#reconnect} dropped
     * it): messages may be missed until the next {@link #onSubscribed}. Called once per loss,
     * only after an {@link #onSubscribed}.
     */
    void onLost(String reason);
  }

  /** A live subscription; see {@link #subscribe}. */
  interface Subscription extends AutoCloseable {
    /** Drops the current connection as a network failure would; a new one subscribes again. */
    void reconnect();

    /** Ends the subscription and closes its connection; no callback follows. */
    @Override
    void close();
  }

  /**
   * Subscribes to {@code channel} ({@code SUBSCRIBE} on a standalone Redis, {@code SSUBSCRIBE} on
   * the node owning its slot on a Cluster, pairing with {@link #publishSharded}) on a connection of
   * its own, never one callers use. Returns at once; the subscription is made, and made again after
   * every loss (backoff 50 ms doubling to 2 s, back to 50 ms once subscribed), by one daemon thread
   * named {@code scaleblocks-redis-subscriber}, until closed. Callbacks come one at a time, on that
   * thread (Jedis) or on the client's I/O thread (Lettuce): they must be quick and must not block.
   *
   * @throws UnsupportedOperationException on a backend over a connection the user opened (Lettuce)
   */
  Subscription subscribe(byte[] channel, SubscriptionListener listener);

  /**
   * Whether a call sent now goes to the server at once: false while a Lettuce connection is down
   * (Lettuce then holds commands until it has reconnected, unless the client's options say
   * otherwise), so a caller with a deadline of its own may refuse the call instead. Always true
   * for Jedis (each call fails by itself when it cannot connect). A hint: it may change at once.
   */
  default boolean connectedNow() {
    return true;
  }

  /**
   * Closes the connection this backend opened on a Lettuce client, for a caller that owns the
   * backend (the user's client stays open); later calls fail. Nothing for Jedis (whose client
   * holds the connections) or for a connection the user passed.
   */
  default void disconnect() {}

  /** {@code TIME}: the server's clock, in microseconds since the epoch (on a Cluster, one node's). */
  long timeMicros();

  /** {@link #timeMicros} without waiting. */
  CompletableFuture<Long> timeMicrosAsync();
}
