package dev.scaleblocks.cache;

import dev.scaleblocks.core.Ticker;
import dev.scaleblocks.core.breaker.CircuitBreaker;
import dev.scaleblocks.core.redis.RedisScript;
import dev.scaleblocks.core.redis.ScriptRunner;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.apache.commons.pool2.impl.GenericObjectPool;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Connection;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.RedisSentinelClient;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.commands.JedisBinaryCommands;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.resps.ScanResult;
import redis.clients.jedis.util.Pool;

/**
 * The L2 over a Jedis {@link UnifiedJedis}: every call blocks its caller for the round trip.
 *
 * <p>On a standalone {@code RedisClient} each call runs under one deadline, the cache's L2
 * timeout, whatever the client's own timeouts and pool settings: the tier borrows a connection
 * from the client's pool itself for at most the time left, runs the call's commands on it with the
 * socket timeout set to the time then left, and gives it back (see {@link DeadlineConnections}).
 * The client and its pool configuration are never changed. A {@code RedisSentinelClient} is
 * treated the same way, on the pool the client keeps for the master the sentinels currently name
 * (looked up per call: the client replaces that pool on a failover). On a {@code RedisClusterClient} the
 * same holds node by node: {@link ClusterRouting} sends each call's commands to the nodes that own
 * its keys, on connections lent from the client's node pools, all under the one deadline.
 */
final class JedisTier extends RedisTier {

  private final UnifiedJedis client;
  /** Lends a standalone {@code RedisClient}'s connections under the L2 deadline; null otherwise. */
  private final @Nullable DeadlineConnections connections;
  /** A sentinel client, whose current master's pool changes on a failover; null otherwise. */
  private final @Nullable RedisSentinelClient sentinel;
  /** Lends the current master pool of {@link #sentinel}; replaced when that pool changes. */
  private volatile @Nullable DeadlineConnections sentinelLender;
  /** Routes a {@code RedisClusterClient}'s calls to its nodes under the L2 deadline; null for standalone. */
  private final @Nullable ClusterRouting routing;

  JedisTier(UnifiedJedis client, CircuitBreaker breaker, Ticker ticker, Tracer tracer,
      String cacheName, CacheMetrics metrics, java.time.Duration timeout) {
    super(breaker, ticker, tracer, cacheName, metrics, timeout);
    this.client = client;
    this.connections = client instanceof RedisClient rc
        ? new DeadlineConnections(rc.getPool(), timeout)
        : null;
    this.sentinel = client instanceof RedisSentinelClient sc ? sc : null;
    this.routing = client instanceof RedisClusterClient rcc ? new ClusterRouting(rcc, timeout) : null;
  }

  UnifiedJedis client() {
    return client;
  }

  /**
   * The lender for a standalone client, or for a sentinel client's current master (a new one when
   * the client has moved to a new master's pool); null for a Cluster.
   */
  private @Nullable DeadlineConnections lender() {
    RedisSentinelClient s = sentinel;
    if (s == null) {
      return connections;
    }
    Pool<Connection> pool = masterPool(s);
    DeadlineConnections lender = sentinelLender;
    if (lender == null || lender.pool() != pool) {
      lender = new DeadlineConnections(pool, timeout); // two racing threads make equal lenders
      sentinelLender = lender;
    }
    return lender;
  }

  /** The pool a sentinel client keeps for the master the sentinels currently name. */
  private static Pool<Connection> masterPool(RedisSentinelClient client) {
    return client.getPrimaryNodesConnectionMap().values().iterator().next();
  }

  /** Whether {@link #dedicatedConnection} works for this client (standalone, sentinel, Cluster). */
  boolean ownsConnections() {
    return connections != null || sentinel != null || routing != null;
  }

  /**
   * For a sentinel client, the master it currently sends commands to (it changes when the
   * sentinels announce a failover); null for other clients.
   */
  @Nullable HostAndPort sentinelMaster() {
    RedisSentinelClient s = sentinel;
    return s == null ? null : s.getCurrentMaster();
  }

  /**
   * A connection of its own for a long-lived subscription: made by the same factory (address,
   * credentials, timeouts) as the client's pooled connections but never taken from the pool, so the
   * callers keep every pooled connection. On a Cluster, to the node that owns {@code slot}; through
   * a sentinel client, to the current master.
   */
  Connection dedicatedConnection(int slot) {
    ClusterRouting r = routing;
    if (r != null) {
      return make(r.poolFor(slot));
    }
    if (client instanceof RedisClient rc) {
      return make(rc.getPool());
    }
    RedisSentinelClient s = sentinel;
    if (s != null) {
      return make(masterPool(s));
    }
    throw new IllegalStateException("unsupported redis client " + client.getClass().getName());
  }

  private static Connection make(GenericObjectPool<Connection> pool) {
    try {
      return pool.getFactory().makeObject().getObject();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  boolean isCluster() {
    return routing != null;
  }

  @Override
  Read get(byte[] key) {
    Read r = call("GET", getTimer, () -> onConnection(key, c -> getWithTtl(c, key), p -> {
      Response<byte[]> v = p.get(key);
      Response<Long> ttl = p.pttl(key);
      p.sync();
      byte[] bytes = v.get();
      return bytes == null ? Read.ABSENT : new Read(bytes, ttl.get());
    }));
    return r == null ? READ_UNAVAILABLE : r;
  }

  @Override
  CompletableFuture<Read> getAsync(byte[] key) {
    return CompletableFuture.completedFuture(get(key));
  }

  /**
   * GET and PTTL written to {@code c} together and both replies read: one round trip, without a
   * {@link Pipeline} (whose construction alone allocates a client's worth of command templates).
   * An error reply is thrown only after both replies are read, so the connection stays in step.
   */
  static Read getWithTtl(Connection c, byte[] key) {
    c.sendCommand(Protocol.Command.GET, key);
    c.sendCommand(Protocol.Command.PTTL, key);
    List<Object> replies = c.getMany(2);
    Object value = reply(replies.get(0));
    Object ttl = reply(replies.get(1));
    return value == null ? Read.ABSENT : new Read((byte[]) value, (Long) java.util.Objects.requireNonNull(ttl));
  }

  /** A reply read by {@link Connection#getMany}, or the error it holds thrown. */
  private static @Nullable Object reply(@Nullable Object reply) {
    if (reply instanceof JedisDataException e) {
      throw e;
    }
    return reply;
  }

  @Override
  @Nullable List<Read> mget(List<byte[]> keys) {
    return call("MGET", mgetTimer, () -> {
      ClusterRouting routed = routing;
      if (routed != null) {
        return clusterMget(routed, keys);
      }
      return onConnection(keys.get(0), c -> mgetWithTtl(c, keys), p -> {
        Response<List<byte[]>> values = p.mget(keys.toArray(new byte[0][]));
        List<Response<Long>> ttls = new ArrayList<>(keys.size());
        for (byte[] key : keys) {
          ttls.add(p.pttl(key));
        }
        p.sync();
        List<Read> out = new ArrayList<>(keys.size());
        for (int i = 0; i < keys.size(); i++) {
          byte[] v = values.get().get(i);
          out.add(v == null ? Read.ABSENT : new Read(v, ttls.get(i).get()));
        }
        return out;
      });
    });
  }

  /**
   * One MGET and the PTTL of every key written to {@code c} together, all replies read: one round
   * trip. Errors are thrown after every reply is read.
   */
  static List<Read> mgetWithTtl(Connection c, List<byte[]> keys) {
    int n = keys.size();
    c.sendCommand(Protocol.Command.MGET, keys.toArray(new byte[0][]));
    for (byte[] key : keys) {
      c.sendCommand(Protocol.Command.PTTL, key);
    }
    List<Object> replies = c.getMany(n + 1);
    JedisDataException error = null;
    for (Object r : replies) {
      if (r instanceof JedisDataException e && error == null) {
        error = e;
      }
    }
    if (error != null) {
      throw error;
    }
    @SuppressWarnings("unchecked")
    List<byte @Nullable []> values = (List<byte @Nullable []>) java.util.Objects.requireNonNull(replies.get(0));
    List<Read> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      byte[] v = values.get(i);
      out.add(v == null ? Read.ABSENT : new Read(v, (Long) java.util.Objects.requireNonNull(replies.get(i + 1))));
    }
    return out;
  }

  /** GET and PTTL of every key, one round trip per node (GET and PTTL of each of its keys written together). */
  private List<Read> clusterMget(ClusterRouting r, List<byte[]> keys) {
    Read[] out = new Read[keys.size()];
    r.eachNode(keys, r.deadline(), (c, indexes) -> {
      for (int i : indexes) {
        c.sendCommand(Protocol.Command.GET, keys.get(i));
        c.sendCommand(Protocol.Command.PTTL, keys.get(i));
      }
      List<Object> replies = c.getMany(2 * indexes.size());
      for (Object reply : replies) {
        reply(reply);
      }
      for (int j = 0; j < indexes.size(); j++) {
        Object v = replies.get(2 * j);
        out[indexes.get(j)] = v == null ? Read.ABSENT
            : new Read((byte[]) v, (Long) java.util.Objects.requireNonNull(replies.get(2 * j + 1)));
      }
    });
    return Arrays.asList(out);
  }

  /** SET key value PX millis. */
  @Override
  boolean set(byte[] key, byte[] value, long pxMillis) {
    return call("SET", setTimer, () -> commands(key, j -> j.set(key, value, SetParams.setParams().px(pxMillis)))) != null;
  }

  /**
   * Writes a loaded value only if L2 still holds what the load saw ({@code expectedVersion}, or
   * nothing when empty): a put or an invalidation in between wins. One EVALSHA.
   */
  @Override
  boolean setIfVersion(byte[] key, byte[] value, long pxMillis, byte[] expectedVersion) {
    return call("EVALSHA", setTimer, () -> commands(key, j -> ScriptRunner.evalBinary(j, SET_IF_VERSION, List.of(key),
        List.of(value, expectedVersion, Long.toString(pxMillis).getBytes(java.nio.charset.StandardCharsets.US_ASCII))))) != null;
  }

  /** {@link #setIfVersion} for many keys in one pipeline (one round trip per node). */
  @Override
  boolean setAllIfVersion(List<byte[]> keys, List<byte[]> values, long[] pxMillis, List<byte[]> expected) {
    if (keys.size() == 1) {
      return setIfVersion(keys.get(0), values.get(0), pxMillis[0], expected.get(0));
    }
    byte[] source = SET_IF_VERSION.source().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return call("EVAL", setTimer, () -> eachKey(keys, (p, i) ->
        p.eval(source, List.of(keys.get(i)), List.of(values.get(i), expected.get(i),
            Long.toString(pxMillis[i]).getBytes(java.nio.charset.StandardCharsets.US_ASCII))))) != null;
  }

  /** Several SETs in one pipeline (one round trip per node). */
  @Override
  boolean setAll(List<byte[]> keys, List<byte[]> values, long[] pxMillis) {
    if (keys.size() == 1) {
      return set(keys.get(0), values.get(0), pxMillis[0]);
    }
    return call("SET", setTimer, () -> eachKey(keys, (p, i) ->
        p.set(keys.get(i), values.get(i), SetParams.setParams().px(pxMillis[i])))) != null;
  }

  /** Deletes keys: one DEL on a standalone Redis, pipelined DELs (one round trip per node) on a Cluster. */
  @Override
  boolean del(List<byte[]> keys) {
    if (keys.isEmpty()) {
      return true;
    }
    return call("DEL", delTimer, () -> {
      if (routing == null || keys.size() == 1) {
        return commands(keys.get(0), j -> j.del(keys.toArray(new byte[0][])));
      }
      return eachKey(keys, (p, i) -> p.del(keys.get(i)));
    }) != null;
  }

  /** PUBLISH, or SPUBLISH on a Cluster. */
  @Override
  boolean publish(byte[] channel, byte[] message) {
    return call("PUBLISH", publishTimer, () -> {
      ClusterRouting r = routing;
      if (r != null) {
        return r.onKey(channel, r.deadline(),
            c -> new Jedis(c).sendCommand(redis.clients.jedis.Protocol.Command.SPUBLISH, channel, message));
      }
      DeadlineConnections lender = lender();
      return lender == null
          ? client.publish(channel, message)
          : lender.withConnection(c -> new Jedis(c).publish(channel, message));
    }) != null;
  }

  /** SET NX PX on the lease key: 1 taken, 0 held by another, -1 Redis unavailable. */
  @Override
  int tryLease(byte[] leaseKey, byte[] owner, long pxMillis) {
    String r = call("SET", leaseTimer, () -> {
      String s = commands(leaseKey, j -> j.set(leaseKey, owner, SetParams.setParams().nx().px(pxMillis)));
      return s == null ? "" : s;
    });
    if (r == null) {
      return -1;
    }
    return r.isEmpty() ? 0 : 1;
  }

  /** Deletes the lease key if this instance still holds it. */
  @Override
  void releaseLease(byte[] leaseKey, byte[] owner) {
    call("EVALSHA", leaseTimer, () -> commands(leaseKey, j -> ScriptRunner.evalBinary(j, RELEASE_LEASE, List.of(leaseKey), List.of(owner))));
  }

  /**
   * Deletes every key starting with {@code prefix} (SCAN MATCH over every node, then DEL). A long
   * walk, so on a standalone client the L2 timeout bounds each page (one SCAN and one DEL round
   * trip on one connection) rather than the whole walk.
   */
  @Override
  boolean deleteByPrefix(byte[] prefix) {
    return call("SCAN", scanTimer, () -> {
      byte[] pattern = globPrefix(prefix);
      DeadlineConnections lender = lender();
      ClusterRouting r = routing;
      if (r != null) {
        for (DeadlineConnections master : r.masters(r.deadline())) {
          // a master's keys are its own slots' keys: deleted on the same connection, one pipeline a page
          master.withConnection(c -> {
            Jedis j = new Jedis(c);
            scanAndDelete(pattern, (cursor, params) -> {
              c.setSoTimeout(master.timeoutMillis());
              return j.scan(cursor, params);
            }, keys -> {
              Pipeline p = new Pipeline(c);
              for (byte[] key : keys) {
                p.del(key);
              }
              p.sync();
            });
            return Boolean.TRUE;
          });
        }
      } else if (lender == null) {
        scanAndDelete(pattern, client::scan, keys -> client.del(keys.toArray(new byte[0][])));
      } else {
        lender.withConnection(c -> {
          Jedis j = new Jedis(c);
          scanAndDelete(pattern, (cursor, params) -> {
            c.setSoTimeout(lender.timeoutMillis());
            return j.scan(cursor, params);
          }, keys -> j.del(keys.toArray(new byte[0][])));
          return Boolean.TRUE;
        });
      }
      return Boolean.TRUE;
    }) != null;
  }

  @Override
  boolean addToTags(List<byte[]> tagKeys, byte[] member, long pxMillis) {
    byte[] px = Long.toString(pxMillis).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    if (tagKeys.size() == 1) {
      byte[] key = tagKeys.get(0);
      return call("EVALSHA", tagTimer, () -> commands(key, j -> ScriptRunner.evalBinary(j, TAG_ADD, List.of(key),
          List.of(member, px)))) != null;
    }
    byte[] source = TAG_ADD.source().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return call("EVAL", tagTimer, () -> eachKey(tagKeys, (p, i) ->
        p.eval(source, List.of(tagKeys.get(i)), List.of(member, px)))) != null;
  }

  @Override
  @Nullable List<byte[]> takeTagMembers(byte[] tagKey, int max) {
    byte[] count = Integer.toString(max).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    return call("EVALSHA", tagTimer, () -> members(commands(tagKey, j -> ScriptRunner.evalBinary(j, TAG_TAKE,
        List.of(tagKey), List.of(count)))));
  }

  private interface Scanner {
    ScanResult<byte[]> scan(byte[] cursor, ScanParams params);
  }

  private static void scanAndDelete(byte[] pattern, Scanner scanner, Consumer<List<byte[]>> deleter) {
    byte[] cursor = ScanParams.SCAN_POINTER_START_BINARY;
    ScanParams params = new ScanParams().match(pattern).count(500);
    do {
      ScanResult<byte[]> page = scanner.scan(cursor, params);
      List<byte[]> keys = page.getResult();
      if (!keys.isEmpty()) {
        deleter.accept(keys);
      }
      cursor = page.getCursorAsBytes();
    } while (!Arrays.equals(cursor, ScanParams.SCAN_POINTER_START_BINARY));
  }

  /**
   * {@code body} under the L2 deadline on a connection of the standalone client or of the Cluster
   * node that owns {@code key} (the client itself for any other kind of client).
   */
  private <T> T commands(byte[] key, Function<JedisBinaryCommands, T> body) {
    ClusterRouting r = routing;
    if (r != null) {
      return r.onKey(key, r.deadline(), c -> body.apply(new Jedis(c)));
    }
    DeadlineConnections lender = lender();
    return lender == null ? body.apply(client) : lender.withConnection(c -> body.apply(new Jedis(c)));
  }

  /**
   * {@code body} on a pipeline over the connection {@link #commands} would use for {@code key}
   * (one round trip). The body syncs the pipeline before it reads a response.
   */
  private <T> T pipelined(byte[] key, Function<AbstractPipeline, T> body) {
    ClusterRouting r = routing;
    if (r != null) {
      return r.onKey(key, r.deadline(), c -> body.apply(new Pipeline(c)));
    }
    DeadlineConnections lender = lender();
    if (lender != null) {
      return lender.withConnection(c -> body.apply(new Pipeline(c)));
    }
    try (AbstractPipeline p = client.pipelined()) {
      return body.apply(p);
    }
  }

  /**
   * {@code body} on the raw connection {@link #commands} would use for {@code key}, under the L2
   * deadline; for a client of another kind (whose connections the tier cannot lend), {@code
   * pipelined} on the client's own pipeline instead. Either is one round trip.
   */
  private <T> T onConnection(byte[] key, DeadlineConnections.Body<T> body, Function<AbstractPipeline, T> pipelined) {
    ClusterRouting r = routing;
    if (r != null) {
      return r.onKey(key, r.deadline(), body);
    }
    DeadlineConnections lender = lender();
    if (lender != null) {
      return lender.withConnection(body);
    }
    try (AbstractPipeline p = client.pipelined()) {
      return pipelined.apply(p);
    }
  }

  /** One command per key: one pipeline on a standalone Redis, one per node (one round trip each) on a Cluster. */
  private Boolean eachKey(List<byte[]> keys, PerKey command) {
    ClusterRouting r = routing;
    if (r != null) {
      r.eachNode(keys, r.deadline(), (c, indexes) -> {
        Pipeline p = new Pipeline(c);
        for (int i : indexes) {
          command.send(p, i);
        }
        p.sync();
      });
      return Boolean.TRUE;
    }
    return pipelined(keys.get(0), p -> {
      for (int i = 0; i < keys.size(); i++) {
        command.send(p, i);
      }
      p.sync();
      return Boolean.TRUE;
    });
  }

  private interface PerKey {
    void send(AbstractPipeline pipeline, int index);
  }
}
