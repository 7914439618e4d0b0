package dev.scaleblocks.core.internal.redis;

import static dev.scaleblocks.core.internal.Checks.requireNoNulls;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import dev.scaleblocks.core.redis.RedisScript;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.commands.JedisBinaryCommands;
import redis.clients.jedis.exceptions.JedisNoScriptException;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * The backend over a Jedis {@link UnifiedJedis}: standalone ({@code RedisClient}, {@code
 * JedisPooled}), Cluster ({@code RedisClusterClient}, {@code JedisCluster}) and Sentinel ({@code
 * RedisSentinelClient}) clients alike. Every call, the asynchronous forms included, blocks the
 * calling thread for its round trip (see {@link RedisBackend}).
 *
 * <p>Also home of the {@code EVALSHA}-with-{@code NOSCRIPT}-reload logic for any Jedis command
 * interface ({@link #evalBinary(JedisBinaryCommands, RedisScript, List, List)}), which {@link
 * dev.scaleblocks.core.redis.ScriptRunner} delegates to.
 *
 * <p>Thread-safe, as the client is (Jedis' pooled and cluster clients are).
 */
public final class JedisBackend implements RedisBackend {

  private static final Logger log = LoggerFactory.getLogger(JedisBackend.class);

  /** Routes TIME on a Cluster (any slot will do); never sent as an argument. */
  private static final byte[] TIME_ROUTE = "scaleblocks:time".getBytes(US_ASCII);

  private final UnifiedJedis jedis;
  private final boolean cluster;

  @SuppressWarnings("deprecation") // JedisCluster: deprecated for RedisClusterClient, still in use
  JedisBackend(UnifiedJedis jedis) {
    this.jedis = requireNonNull(jedis, "jedis");
    this.cluster = jedis instanceof RedisClusterClient || jedis instanceof JedisCluster;
  }

  /** The client calls go through. */
  public UnifiedJedis jedis() {
    return jedis;
  }

  @Override
  public String client() {
    return "jedis";
  }

  @Override
  public boolean cluster() {
    return cluster;
  }

  @Override
  public boolean nonBlocking() {
    return false;
  }

  @Override
  public @Nullable Object eval(RedisScript script, List<byte[]> keys, List<byte[]> args) {
    return evalBinary(jedis, script, keys, args);
  }

  @Override
  public CompletableFuture<@Nullable Object> evalAsync(
      RedisScript script, List<byte[]> keys, List<byte[]> args) {
    return now(() -> eval(script, keys, args));
  }

  @Override
  public byte @Nullable [] get(byte[] key) {
    return jedis.get(requireNonNull(key, "key"));
  }

  @Override
  public CompletableFuture<byte @Nullable []> getAsync(byte[] key) {
    return now(() -> get(key));
  }

  @Override
  public List<byte @Nullable []> mget(List<byte[]> keys) {
    requireNoNulls(keys, "keys");
    if (keys.isEmpty()) {
      return new ArrayList<>(0);
    }
    if (!cluster) {
      return jedis.mget(keys.toArray(new byte[0][]));
    }
    // one MGET per slot (Redis refuses cross-slot MGET even within one node), all pipelined:
    // the cluster pipeline sends each node its share in one round trip
    Map<Integer, List<Integer>> bySlot = new LinkedHashMap<>();
    for (int i = 0; i < keys.size(); i++) {
      bySlot.computeIfAbsent(JedisClusterCRC16.getSlot(keys.get(i)), s -> new ArrayList<>()).add(i);
    }
    List<List<Integer>> groups = new ArrayList<>(bySlot.values());
    List<Response<List<byte[]>>> responses = new ArrayList<>(groups.size());
    try (AbstractPipeline p = jedis.pipelined()) {
      for (List<Integer> group : groups) {
        byte[][] slotKeys = new byte[group.size()][];
        for (int j = 0; j < slotKeys.length; j++) {
          slotKeys[j] = keys.get(group.get(j));
        }
        responses.add(p.mget(slotKeys));
      }
      p.sync();
    }
    List<byte @Nullable []> out = new ArrayList<>(keys.size());
    for (int i = 0; i < keys.size(); i++) {
      out.add(null);
    }
    for (int g = 0; g < groups.size(); g++) {
      List<byte[]> values = responses.get(g).get();
      List<Integer> group = groups.get(g);
      for (int j = 0; j < group.size(); j++) {
        out.set(group.get(j), values.get(j));
      }
    }
    return out;
  }

  @Override
  public CompletableFuture<List<byte @Nullable []>> mgetAsync(List<byte[]> keys) {
    return now(() -> mget(keys));
  }

  @Override
  public void set(byte[] key, byte[] value, Duration ttl) {
    jedis.set(requireNonNull(key, "key"), requireNonNull(value, "value"),
        SetParams.setParams().px(millis(ttl)));
  }

  @Override
  public CompletableFuture<@Nullable Void> setAsync(byte[] key, byte[] value, Duration ttl) {
    return now(() -> {
      set(key, value, ttl);
      return null;
    });
  }

  @Override
  public boolean setIfAbsent(byte[] key, byte[] value, Duration ttl) {
    return jedis.set(requireNonNull(key, "key"), requireNonNull(value, "value"),
        SetParams.setParams().nx().px(millis(ttl))) != null;
  }

  @Override
  public CompletableFuture<Boolean> setIfAbsentAsync(byte[] key, byte[] value, Duration ttl) {
    return now(() -> setIfAbsent(key, value, ttl));
  }

  @Override
  public long publish(byte[] channel, byte[] message) {
    return jedis.publish(requireNonNull(channel, "channel"), requireNonNull(message, "message"));
  }

  @Override
  public CompletableFuture<Long> publishAsync(byte[] channel, byte[] message) {
    return now(() -> publish(channel, message));
  }

  @Override
  @SuppressWarnings("deprecation") // the sample-key form: the one way to route a keyless command
  public long timeMicros() {
    Object reply = jedis.sendCommand(TIME_ROUTE, Protocol.Command.TIME);
    return RedisReplies.timeMicros(reply);
  }

  @Override
  public CompletableFuture<Long> timeMicrosAsync() {
    return now(this::timeMicros);
  }

  @Override
  public String toString() {
    return "JedisBackend{" + jedis.getClass().getSimpleName() + (cluster ? ", cluster}" : "}");
  }

  /**
   * Runs {@code script} on {@code commands} by {@code EVALSHA}, answering a {@code NOSCRIPT} with
   * one {@code EVAL} of the source: for any Jedis command interface, a pooled client or a {@code
   * Jedis} over one borrowed connection alike. Bulk replies come back as {@code byte[]}.
   */
  public static @Nullable Object evalBinary(
      JedisBinaryCommands commands, RedisScript script, List<byte[]> keys, List<byte[]> args) {
    requireNonNull(commands, "commands");
    requireNonNull(script, "script");
    requireNoNulls(keys, "keys");
    requireNoNulls(args, "args");
    try {
      return commands.evalsha(script.sha1().getBytes(UTF_8), keys, args);
    } catch (JedisNoScriptException e) {
      log.debug("script {} not cached on the server, sending its source", script.name());
      return commands.eval(script.source().getBytes(UTF_8), keys, args);
    }
  }

  /**
   * The same with string keys and arguments: bulk replies come back as {@code String}s, as Jedis
   * maps them (the form {@link dev.scaleblocks.core.redis.ScriptRunner#eval} has always returned).
   */
  public static @Nullable Object evalStrings(
      UnifiedJedis jedis, RedisScript script, List<String> keys, List<String> args) {
    requireNonNull(script, "script");
    requireNoNulls(keys, "keys");
    requireNoNulls(args, "args");
    try {
      return jedis.evalsha(script.sha1(), keys, args);
    } catch (JedisNoScriptException e) {
      log.debug("script {} not cached on the server, sending its source", script.name());
      return jedis.eval(script.source(), keys, args);
    }
  }

  static long millis(Duration ttl) {
    requireNonNull(ttl, "ttl");
    long ms = ttl.toMillis();
    if (ms <= 0) {
      throw new IllegalArgumentException("ttl must be at least 1 ms but was " + ttl);
    }
    return ms;
  }

  /** Runs {@code call} here and now; its result or its exception as a completed future. */
  private static <T> CompletableFuture<T> now(Supplier<T> call) {
    try {
      return CompletableFuture.completedFuture(call.get());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
