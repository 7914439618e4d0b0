package dev.scaleblocks.cache;

import static java.nio.charset.StandardCharsets.US_ASCII;

import dev.scaleblocks.core.Ticker;
import dev.scaleblocks.core.breaker.CircuitBreaker;
import dev.scaleblocks.core.internal.redis.RedisBackend;
import dev.scaleblocks.core.internal.redis.RedisBackend.ValueTtl;
import io.opentelemetry.api.trace.Tracer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * The L2 over core's {@link RedisBackend}: Lettuce (one connection opened on the user's {@code
 * RedisClient} or {@code RedisClusterClient} when the cache is built, shared by every call, since
 * Lettuce multiplexes them, so no call waits for a pooled connection) or Jedis with coalescing
 * (the reads and writes of all threads at once queued per Redis node and written as one pipeline
 * on a connection of the backend's own). Either is closed with the cache; the user's client is not.
 *
 * <p>Every call is sent at once and its future bounded by the L2 timeout: a call Redis does not
 * answer in time counts as a failure for the breaker and answers as unavailable, while the
 * command itself stays on the connection (its late answer is dropped). The blocking forms wait for
 * those bounded futures. With Lettuce, {@link #getAsync}, {@link #mgetAsync}, {@link #setAsync}
 * and {@link #setAllAsync} do not wait at all and complete on Lettuce's I/O thread; with coalesced
 * Jedis some calls (DEL, PUBLISH, SET NX) run on the caller's thread, so the tier says it blocks
 * and the cache's asynchronous forms hand off as with plain Jedis. A SCAN-and-DEL walk ({@link
 * #deleteByPrefix}) is bounded as a whole by {@link #SCAN_TIMEOUTS} L2 timeouts.
 *
 * <p>Names no client type: Lettuce and Jedis are reached through core's backend. Thread-safe.
 */
final class BackendTier extends RedisTier {

  /** How many L2 timeouts a whole SCAN-and-DEL walk may take. */
  static final int SCAN_TIMEOUTS = 20;

  private final RedisBackend backend;
  private final boolean nonBlocking;

  /**
   * A tier over {@code backend}; {@code nonBlocking} when every asynchronous call of the backend
   * returns without waiting on the caller's thread.
   */
  BackendTier(RedisBackend backend, boolean nonBlocking, CircuitBreaker breaker, Ticker ticker,
      Tracer tracer, String cacheName, CacheMetrics metrics, Duration timeout) {
    super(breaker, ticker, tracer, cacheName, metrics, timeout);
    this.backend = backend;
    this.nonBlocking = nonBlocking;
  }

  @Override
  boolean isCluster() {
    return backend.cluster();
  }

  @Override
  boolean nonBlocking() {
    return nonBlocking;
  }

  /** A subscription on a connection of its own (SUBSCRIBE, or SSUBSCRIBE on a Cluster). */
  RedisBackend.Subscription subscribe(byte[] channel, RedisBackend.SubscriptionListener listener) {
    return backend.subscribe(channel, listener);
  }

  @Override
  boolean canSend() {
    return backend.connectedNow();
  }

  @Override
  Read get(byte[] key) {
    return getAsync(key).join();
  }

  @Override
  CompletableFuture<Read> getAsync(byte[] key) {
    return callAsync("GET", getTimer, () -> backend.getWithTtlAsync(key))
        .thenApply(v -> v == null ? READ_UNAVAILABLE : read(v));
  }

  private static Read read(ValueTtl v) {
    byte[] value = v.value();
    return value == null ? Read.ABSENT : new Read(value, v.pttlMillis());
  }

  @Override
  @Nullable List<Read> mget(List<byte[]> keys) {
    return reads(callAsync("MGET", mgetTimer, () -> backend.mgetWithTtlAsync(keys)).join());
  }

  private static @Nullable List<Read> reads(@Nullable List<ValueTtl> values) {
    if (values == null) {
      return null;
    }
    List<Read> out = new ArrayList<>(values.size());
    for (ValueTtl v : values) {
      out.add(read(v));
    }
    return out;
  }

  @Override
  boolean set(byte[] key, byte[] value, long pxMillis) {
    return done(callAsync("SET", setTimer,
        () -> backend.setAsync(key, value, Duration.ofMillis(pxMillis)).thenApply(ok -> Boolean.TRUE)));
  }

  @Override
  boolean setIfVersion(byte[] key, byte[] value, long pxMillis, byte[] expectedVersion) {
    return done(callAsync("EVALSHA", setTimer, () -> setIfVersionAsync(key, value, pxMillis, expectedVersion)));
  }

  private CompletableFuture<Boolean> setIfVersionAsync(byte[] key, byte[] value, long pxMillis, byte[] expected) {
    return backend.evalAsync(SET_IF_VERSION, List.of(key),
            List.of(value, expected, Long.toString(pxMillis).getBytes(US_ASCII)))
        .thenApply(r -> Boolean.TRUE);
  }

  @Override
  boolean setAllIfVersion(List<byte[]> keys, List<byte[]> values, long[] pxMillis, List<byte[]> expected) {
    return done(callAsync("EVALSHA", setTimer, () -> {
      // all sent before any answer comes: pipelined on the connection
      List<CompletableFuture<Boolean>> each = new ArrayList<>(keys.size());
      for (int i = 0; i < keys.size(); i++) {
        each.add(setIfVersionAsync(keys.get(i), values.get(i), pxMillis[i], expected.get(i)));
      }
      return all(each);
    }));
  }

  @Override
  boolean setAll(List<byte[]> keys, List<byte[]> values, long[] pxMillis) {
    return done(callAsync("SET", setTimer, () -> {
      List<CompletableFuture<@Nullable Void>> each = new ArrayList<>(keys.size());
      for (int i = 0; i < keys.size(); i++) {
        each.add(backend.setAsync(keys.get(i), values.get(i), Duration.ofMillis(pxMillis[i])));
      }
      return all(each);
    }));
  }

  @Override
  CompletableFuture<@Nullable List<Read>> mgetAsync(List<byte[]> keys) {
    return callAsync("MGET", mgetTimer, () -> backend.mgetWithTtlAsync(keys)).thenApply(BackendTier::reads);
  }

  @Override
  CompletableFuture<Boolean> setAsync(byte[] key, byte[] value, long pxMillis) {
    return callAsync("SET", setTimer,
        () -> backend.setAsync(key, value, Duration.ofMillis(pxMillis)).thenApply(ok -> Boolean.TRUE))
        .thenApply(Objects::nonNull);
  }

  @Override
  CompletableFuture<Boolean> setAllAsync(List<byte[]> keys, List<byte[]> values, long[] pxMillis) {
    return callAsync("SET", setTimer, () -> {
      List<CompletableFuture<@Nullable Void>> each = new ArrayList<>(keys.size());
      for (int i = 0; i < keys.size(); i++) {
        each.add(backend.setAsync(keys.get(i), values.get(i), Duration.ofMillis(pxMillis[i])));
      }
      return all(each);
    }).thenApply(Objects::nonNull);
  }

  private static CompletableFuture<Boolean> all(List<? extends CompletableFuture<?>> each) {
    return CompletableFuture.allOf(each.toArray(new CompletableFuture<?>[0])).thenApply(ok -> Boolean.TRUE);
  }

  @Override
  boolean del(List<byte[]> keys) {
    if (keys.isEmpty()) {
      return true;
    }
    return done(callAsync("DEL", delTimer, () -> backend.delAsync(keys).thenApply(n -> Boolean.TRUE)));
  }

  @Override
  boolean publish(byte[] channel, byte[] message) {
    return done(callAsync("PUBLISH", publishTimer,
        () -> backend.publishShardedAsync(channel, message).thenApply(n -> Boolean.TRUE)));
  }

  @Override
  int tryLease(byte[] leaseKey, byte[] owner, long pxMillis) {
    Boolean taken = callAsync("SET", leaseTimer,
        () -> backend.setIfAbsentAsync(leaseKey, owner, Duration.ofMillis(pxMillis))).join();
    if (taken == null) {
      return -1;
    }
    return taken ? 1 : 0;
  }

  @Override
  void releaseLease(byte[] leaseKey, byte[] owner) {
    callAsync("EVALSHA", leaseTimer,
        () -> backend.evalAsync(RELEASE_LEASE, List.of(leaseKey), List.of(owner)).thenApply(r -> Boolean.TRUE))
        .join();
  }

  @Override
  boolean deleteByPrefix(byte[] prefix) {
    return done(callAsync("SCAN", scanTimer, timeout.multipliedBy(SCAN_TIMEOUTS),
        () -> backend.deleteMatchingAsync(globPrefix(prefix)).thenApply(n -> Boolean.TRUE)));
  }

  @Override
  boolean addToTags(List<byte[]> tagKeys, byte[] member, long pxMillis) {
    byte[] px = Long.toString(pxMillis).getBytes(US_ASCII);
    return done(callAsync("EVALSHA", tagTimer, () -> {
      List<CompletableFuture<Boolean>> each = new ArrayList<>(tagKeys.size());
      for (byte[] key : tagKeys) {
        each.add(backend.evalAsync(TAG_ADD, List.of(key), List.of(member, px)).thenApply(r -> Boolean.TRUE));
      }
      return all(each);
    }));
  }

  @Override
  @Nullable List<byte[]> takeTagMembers(byte[] tagKey, int max) {
    byte[] count = Integer.toString(max).getBytes(US_ASCII);
    return callAsync("EVALSHA", tagTimer,
        () -> backend.evalAsync(TAG_TAKE, List.of(tagKey), List.of(count)).thenApply(RedisTier::members)).join();
  }

  @Override
  void close() {
    backend.disconnect();
  }

  private static boolean done(CompletableFuture<@Nullable Boolean> call) {
    return call.join() != null;
  }
}
