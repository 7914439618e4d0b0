package dev.scaleblocks.cache;

import static java.nio.charset.StandardCharsets.US_ASCII;

import dev.scaleblocks.core.Ticker;
import dev.scaleblocks.core.breaker.CircuitBreaker;
import dev.scaleblocks.core.internal.redis.RedisBackend;
import dev.scaleblocks.core.internal.redis.RedisBackend.ValueTtl;
import dev.scaleblocks.core.internal.redis.RedisBackends;
import io.opentelemetry.api.trace.Tracer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * The L2 over Lettuce, through core's {@link RedisBackend}: one connection opened on the user's
 * {@code RedisClient} or {@code RedisClusterClient} when the cache is built, shared by every call
 * (Lettuce multiplexes them, so no call waits for a pooled connection) and closed with the cache.
 *
 * <p>Every call is sent at once and its future bounded by the L2 timeout: a call Redis does not
 * answer in time counts as a failure for the breaker and answers as unavailable, while the
 * command itself stays on the connection (its late answer is dropped). The blocking forms wait for
 * those bounded futures; {@link #getAsync} does not wait at all and completes on Lettuce's I/O
 * thread. A SCAN-and-DEL walk ({@link #deleteByPrefix}) is bounded as a whole by {@link
 * #SCAN_TIMEOUTS} L2 timeouts.
 *
 * <p>Names no Lettuce type: it is loaded for Lettuce clients only, but Lettuce itself is reached
 * through core's backend, which loads it. Thread-safe.
 */
final class LettuceTier extends RedisTier {

  /** How many L2 timeouts a whole SCAN-and-DEL walk may take. */
  static final int SCAN_TIMEOUTS = 20;

  private final RedisBackend backend;

  LettuceTier(Object client, CircuitBreaker breaker, Ticker ticker, Tracer tracer,
      String cacheName, CacheMetrics metrics, Duration timeout) {
    super(breaker, ticker, tracer, cacheName, metrics, timeout);
    this.backend = RedisBackends.of(client);
  }

  @Override
  boolean isCluster() {
    return backend.cluster();
  }

  @Override
  boolean nonBlocking() {
    return true;
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
    List<ValueTtl> values = callAsync("MGET", mgetTimer, () -> backend.mgetWithTtlAsync(keys)).join();
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
  void close() {
    backend.disconnect();
  }

  private static boolean done(CompletableFuture<@Nullable Boolean> call) {
    return call.join() != null;
  }
}
