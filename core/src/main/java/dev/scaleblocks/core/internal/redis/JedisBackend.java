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
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.BinaryJedisPubSub;
import redis.clients.jedis.BinaryJedisShardedPubSub;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.commands.JedisBinaryCommands;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.resps.ScanResult;
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
  public int slot(byte[] key) {
    return cluster ? JedisClusterCRC16.getSlot(key) : 0;
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
  public ValueTtl getWithTtl(byte[] key) {
    requireNonNull(key, "key");
    try (AbstractPipeline p = jedis.pipelined()) {
      Response<byte[]> value = p.get(key);
      Response<Long> ttl = p.pttl(key);
      p.sync();
      byte[] v = value.get();
      return v == null ? ValueTtl.ABSENT : new ValueTtl(v, ttl.get());
    }
  }

  @Override
  public CompletableFuture<ValueTtl> getWithTtlAsync(byte[] key) {
    return now(() -> getWithTtl(key));
  }

  @Override
  public List<ValueTtl> mgetWithTtl(List<byte[]> keys) {
    requireNoNulls(keys, "keys");
    if (keys.isEmpty()) {
      return new ArrayList<>(0);
    }
    List<byte @Nullable []> values = new ArrayList<>(keys.size());
    List<Response<Long>> ttls = new ArrayList<>(keys.size());
    try (AbstractPipeline p = jedis.pipelined()) {
      if (cluster) {
        // GET and PTTL per key: the cluster pipeline sends each node its keys in one round trip
        List<Response<byte[]>> gets = new ArrayList<>(keys.size());
        for (byte[] key : keys) {
          gets.add(p.get(key));
          ttls.add(p.pttl(key));
        }
        p.sync();
        for (Response<byte[]> r : gets) {
          values.add(r.get());
        }
      } else {
        Response<List<byte[]>> all = p.mget(keys.toArray(new byte[0][]));
        for (byte[] key : keys) {
          ttls.add(p.pttl(key));
        }
        p.sync();
        values.addAll(all.get());
      }
    }
    List<ValueTtl> out = new ArrayList<>(keys.size());
    for (int i = 0; i < keys.size(); i++) {
      byte[] v = values.get(i);
      out.add(v == null ? ValueTtl.ABSENT : new ValueTtl(v, ttls.get(i).get()));
    }
    return out;
  }

  @Override
  public CompletableFuture<List<ValueTtl>> mgetWithTtlAsync(List<byte[]> keys) {
    return now(() -> mgetWithTtl(keys));
  }

  @Override
  public long del(List<byte[]> keys) {
    requireNoNulls(keys, "keys");
    if (keys.isEmpty()) {
      return 0;
    }
    if (!cluster) {
      return jedis.del(keys.toArray(new byte[0][]));
    }
    List<Response<Long>> deleted = new ArrayList<>(keys.size());
    try (AbstractPipeline p = jedis.pipelined()) {
      for (byte[] key : keys) {
        deleted.add(p.del(key));
      }
      p.sync();
    }
    long n = 0;
    for (Response<Long> r : deleted) {
      n += r.get();
    }
    return n;
  }

  @Override
  public CompletableFuture<Long> delAsync(List<byte[]> keys) {
    return now(() -> del(keys));
  }

  @Override
  public long deleteMatching(byte[] pattern) {
    requireNonNull(pattern, "pattern");
    if (!cluster) {
      return scanAndDelete(jedis::scan, keys -> jedis.del(keys.toArray(new byte[0][])), pattern);
    }
    long n = 0;
    for (ConnectionPool pool : clusterNodes().values()) {
      try (Connection c = pool.getResource()) {
        Jedis node = new Jedis(c);
        if (!isMaster(node)) {
          continue; // a replica holds its master's keys and refuses DEL
        }
        n += scanAndDelete(node::scan, keys -> {
          // a page holds keys of many slots: one DEL each, pipelined
          redis.clients.jedis.Pipeline p = new redis.clients.jedis.Pipeline(c);
          List<Response<Long>> deleted = new ArrayList<>(keys.size());
          for (byte[] key : keys) {
            deleted.add(p.del(key));
          }
          p.sync();
          long d = 0;
          for (Response<Long> r : deleted) {
            d += r.get();
          }
          return d;
        }, pattern);
      }
    }
    return n;
  }

  @SuppressWarnings("deprecation") // JedisCluster: deprecated for RedisClusterClient, still in use
  private Map<String, ConnectionPool> clusterNodes() {
    return jedis instanceof RedisClusterClient c
        ? c.getClusterNodes()
        : ((JedisCluster) jedis).getClusterNodes();
  }

  /**
   * A new connection to the node owning {@code channel}'s slot, made by that node pool's factory
   * (address, credentials, timeouts) but never in the pool. A pooled connection is borrowed only
   * to read the owner's address and given back unused.
   */
  @SuppressWarnings("deprecation") // JedisCluster: deprecated for RedisClusterClient, still in use
  private Connection shardConnection(byte[] channel) throws Exception {
    int slot = JedisClusterCRC16.getSlot(channel);
    HostAndPort owner;
    try (Connection c = jedis instanceof RedisClusterClient rc
        ? rc.getConnectionFromSlot(slot)
        : ((JedisCluster) jedis).getConnectionFromSlot(slot)) {
      owner = c.getHostAndPort();
    }
    ConnectionPool pool = clusterNodes().get(owner.toString());
    if (pool == null) {
      throw new JedisException("no pool for cluster node " + owner);
    }
    return pool.getFactory().makeObject().getObject();
  }

  private static boolean isMaster(Jedis node) {
    List<Object> role = node.role();
    Object first = role.isEmpty() ? null : role.get(0);
    String name = first instanceof byte[] b ? new String(b, US_ASCII) : String.valueOf(first);
    return name.equals("master");
  }

  private interface Scanner {
    ScanResult<byte[]> scan(byte[] cursor, ScanParams params);
  }

  private interface Deleter {
    long del(List<byte[]> keys);
  }

  private static long scanAndDelete(Scanner scanner, Deleter deleter, byte[] pattern) {
    byte[] cursor = ScanParams.SCAN_POINTER_START_BINARY;
    ScanParams params = new ScanParams().match(pattern).count(500);
    long n = 0;
    do {
      ScanResult<byte[]> page = scanner.scan(cursor, params);
      List<byte[]> keys = page.getResult();
      if (!keys.isEmpty()) {
        n += deleter.del(keys);
      }
      cursor = page.getCursorAsBytes();
    } while (!Arrays.equals(cursor, ScanParams.SCAN_POINTER_START_BINARY));
    return n;
  }

  @Override
  public CompletableFuture<Long> deleteMatchingAsync(byte[] pattern) {
    return now(() -> deleteMatching(pattern));
  }

  @Override
  @SuppressWarnings("deprecation") // the sample-key form: routes SPUBLISH by its channel
  public long publishSharded(byte[] channel, byte[] message) {
    requireNonNull(channel, "channel");
    requireNonNull(message, "message");
    if (!cluster) {
      return jedis.publish(channel, message);
    }
    Object reply = jedis.sendCommand(channel, Protocol.Command.SPUBLISH, channel, message);
    return reply instanceof Long n ? n : 0;
  }

  @Override
  public CompletableFuture<Long> publishShardedAsync(byte[] channel, byte[] message) {
    return now(() -> publishSharded(channel, message));
  }

  @Override
  public Subscription subscribe(byte[] channel, SubscriptionListener listener) {
    requireNonNull(channel, "channel");
    requireNonNull(listener, "listener");
    JedisSubscription s = new JedisSubscription(channel.clone(), listener);
    s.thread.start();
    return s;
  }

  /**
   * One blocking {@code SUBSCRIBE} / {@code SSUBSCRIBE} at a time on the client (which holds one
   * of its connections for it), remade after every loss by a thread of its own.
   */
  private final class JedisSubscription implements Subscription {
    private final byte[] channel;
    private final SubscriptionListener listener;
    private final Thread thread;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile @Nullable Runnable unsubscribe;
    private volatile boolean subscribed;

    JedisSubscription(byte[] channel, SubscriptionListener listener) {
      this.channel = channel;
      this.listener = listener;
      this.thread = new Thread(this::loop, "scaleblocks-redis-subscriber");
      thread.setDaemon(true);
    }

    private void loop() {
      long backoffMillis = 50;
      while (!closed.get()) {
        String reason = "connection lost";
        try {
          if (cluster) {
            BinaryJedisShardedPubSub p = new BinaryJedisShardedPubSub() {
              @Override
              public void onSSubscribe(byte[] ch, int count) {
                subscribedNow();
              }

              @Override
              public void onSMessage(byte[] ch, byte[] message) {
                listener.onMessage(message);
              }
            };
            // a connection of its own to the channel's node, never one of the pools: a
            // SUNSUBSCRIBE racing the hand-back of a pooled one would leave its reply for the
            // next borrower. Dropped by closing it
            try (Connection c = shardConnection(channel)) {
              unsubscribe = c::disconnect;
              p.proceed(c, channel);
            }
          } else {
            BinaryJedisPubSub p = new BinaryJedisPubSub() {
              @Override
              public void onSubscribe(byte[] ch, int count) {
                subscribedNow();
              }

              @Override
              public void onMessage(byte[] ch, byte[] message) {
                listener.onMessage(message);
              }
            };
            if (jedis instanceof redis.clients.jedis.RedisClient rc) {
              // a connection of its own, never one of the pool's: dropped by closing it
              try (Connection c = rc.getPool().getFactory().makeObject().getObject()) {
                unsubscribe = c::disconnect;
                p.proceed(c, channel);
              }
            } else {
              unsubscribe = () -> p.unsubscribe();
              jedis.subscribe(p, channel);
            }
          }
          reason = "unsubscribed";
        } catch (Exception e) {
          reason = e.toString();
          log.debug("subscription failed: {}", reason);
        } finally {
          unsubscribe = null;
        }
        boolean wasSubscribed = subscribed;
        subscribed = false;
        if (wasSubscribed) {
          backoffMillis = 50;
          if (!closed.get()) {
            listener.onLost(reason);
          }
        }
        if (closed.get()) {
          return;
        }
        try {
          Thread.sleep(backoffMillis);
        } catch (InterruptedException e) {
          if (closed.get()) {
            return;
          }
        }
        backoffMillis = Math.min(2_000, backoffMillis * 2);
      }
    }

    private void subscribedNow() {
      if (closed.get()) {
        Runnable u = unsubscribe;
        if (u != null) {
          u.run();
        }
        return;
      }
      subscribed = true;
      listener.onSubscribed();
    }

    @Override
    public void reconnect() {
      Runnable u = unsubscribe;
      if (u != null && subscribed) {
        try {
          u.run();
        } catch (RuntimeException e) {
          log.debug("unsubscribe failed: {}", e.toString());
        }
      }
    }

    @Override
    public void close() {
      if (closed.getAndSet(true)) {
        return;
      }
      Runnable u = unsubscribe;
      if (u != null) {
        try {
          u.run();
        } catch (RuntimeException e) {
          log.debug("unsubscribe failed: {}", e.toString());
        }
      }
      thread.interrupt();
    }
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
