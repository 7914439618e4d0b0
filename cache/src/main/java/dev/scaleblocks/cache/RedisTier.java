package dev.scaleblocks.cache;

import dev.scaleblocks.core.Ticker;
import dev.scaleblocks.core.breaker.CircuitBreaker;
import dev.scaleblocks.core.redis.RedisScript;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every Redis call the cache makes, each guarded by the circuit breaker, bounded by the L2
 * timeout, timed and traced: the one seam between the cache and a Redis client. A failed or
 * refused call never throws: reads answer {@link #READ_UNAVAILABLE} (or {@code null} lists),
 * writes answer {@code false}.
 *
 * <p>Reads return the key's remaining time to live beside its bytes (GET and PTTL pipelined, one
 * round trip), so that freshness is decided by Redis' clock, never by a reader's or writer's.
 *
 * <p>Two implementations: {@link JedisTier} (blocking calls on connections lent from the client's
 * pools under one deadline) and {@link BackendTier} (calls sent on one multiplexed connection,
 * each future bounded by the L2 timeout; {@link #getAsync} does not block). Thread-safe.
 */
abstract class RedisTier {

  private static final Logger log = LoggerFactory.getLogger(RedisTier.class);

  static final RedisScript RELEASE_LEASE =
      RedisScript.of(
          "cache-release-lease",
          "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0");

  /** SET only if the key still holds the version the load saw (or still nothing). Bytes 3..10 hold the version. */
  static final RedisScript SET_IF_VERSION =
      RedisScript.of(
          "cache-set-if-version",
          "local cur = redis.call('GET', KEYS[1]) "
              + "if (cur == false and ARGV[2] == '') or (cur and ARGV[2] ~= '' and string.sub(cur, 3, 10) == ARGV[2]) then "
              + "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3]) return 1 end return 0");

  /**
   * Files {@code ARGV[1]} (an entry's key) under the tag whose sorted set is {@code KEYS[1]}, with
   * its expiry (Redis' clock, now + {@code ARGV[2]} millis) as score, kept if a later one is there
   * already; drops members already expired (amortised: each member is dropped once); and keeps the
   * set alive at least as long as its longest-lived member.
   */
  static final RedisScript TAG_ADD =
      RedisScript.of(
          "cache-tag-add",
          "local t = redis.call('TIME') "
              + "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "
              + "local px = tonumber(ARGV[2]) "
              + "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. string.format('%d', now)) "
              + "redis.call('ZADD', KEYS[1], 'GT', string.format('%d', now + px), ARGV[1]) "
              + "if redis.call('PTTL', KEYS[1]) < px then redis.call('PEXPIRE', KEYS[1], px) end "
              + "return 1");

  /**
   * Takes up to {@code ARGV[1]} live members out of the tag set {@code KEYS[1]} (dropping the
   * expired ones first) and returns them; the set disappears with its last member.
   */
  static final RedisScript TAG_TAKE =
      RedisScript.of(
          "cache-tag-take",
          "local t = redis.call('TIME') "
              + "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "
              + "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. string.format('%d', now)) "
              + "local r = redis.call('ZPOPMIN', KEYS[1], ARGV[1]) "
              + "local out = {} "
              + "for i = 1, #r, 2 do out[#out + 1] = r[i] end "
              + "return out");

  final CircuitBreaker breaker;
  final Ticker ticker;
  final Tracer tracer;
  final String cacheName;
  final CacheMetrics metrics;
  final Duration timeout;
  final Timer getTimer;
  final Timer mgetTimer;
  final Timer setTimer;
  final Timer delTimer;
  final Timer publishTimer;
  final Timer leaseTimer;
  final Timer scanTimer;
  final Timer tagTimer;

  RedisTier(CircuitBreaker breaker, Ticker ticker, Tracer tracer, String cacheName,
      CacheMetrics metrics, Duration timeout) {
    this.breaker = breaker;
    this.ticker = ticker;
    this.tracer = tracer;
    this.cacheName = cacheName;
    this.metrics = metrics;
    this.timeout = timeout;
    this.getTimer = metrics.l2Timer("get");
    this.mgetTimer = metrics.l2Timer("mget");
    this.setTimer = metrics.l2Timer("set");
    this.delTimer = metrics.l2Timer("del");
    this.publishTimer = metrics.l2Timer("publish");
    this.leaseTimer = metrics.l2Timer("lease");
    this.scanTimer = metrics.l2Timer("scan");
    this.tagTimer = metrics.l2Timer("tag");
  }

  /** What one key held: its bytes and its remaining time to live in Redis (millis; -1 none). */
  @SuppressWarnings("ArrayRecordComponent") // never compared by value; see READ_UNAVAILABLE
  record Read(byte @Nullable [] value, long pttl) {
    static final Read ABSENT = new Read(null, -2);
  }

  /** Returned by {@link #get} when Redis could not be asked (compared by identity). */
  static final Read READ_UNAVAILABLE = new Read(null, -2);

  /** Whether the breaker is open: calls are refused without I/O for now (a hint; it may change at once). */
  boolean refusing() {
    return breaker.state() == CircuitBreaker.State.OPEN;
  }

  abstract boolean isCluster();

  /**
   * Whether {@link #getAsync} returns before Redis answers (and completes on the client's I/O
   * thread); otherwise it blocks like {@link #get}.
   */
  boolean nonBlocking() {
    return false;
  }

  /**
   * GET and PTTL of one key pipelined (one round trip): {@link Read#ABSENT} when absent, {@link
   * #READ_UNAVAILABLE} on failure.
   */
  abstract Read get(byte[] key);

  /** {@link #get} as a future; never completes exceptionally. See {@link #nonBlocking}. */
  abstract CompletableFuture<Read> getAsync(byte[] key);

  /**
   * The values of {@code keys} in order (absent as {@link Read#ABSENT}) with their remaining TTLs:
   * one MGET and the PTTLs pipelined on a standalone Redis, one pipelined round trip per node on a
   * Cluster; {@code null} on failure.
   */
  abstract @Nullable List<Read> mget(List<byte[]> keys);

  /** SET key value PX millis. */
  abstract boolean set(byte[] key, byte[] value, long pxMillis);

  /**
   * {@link #set} as a future, never completing exceptionally. When {@link #nonBlocking} it is sent
   * at once and completes on the client's I/O thread; otherwise (this default) it runs {@link #set}
   * on the calling thread.
   */
  CompletableFuture<Boolean> setAsync(byte[] key, byte[] value, long pxMillis) {
    return CompletableFuture.completedFuture(set(key, value, pxMillis));
  }

  /** {@link #setAll} as a future; see {@link #setAsync} for the thread it completes on. */
  CompletableFuture<Boolean> setAllAsync(List<byte[]> keys, List<byte[]> values, long[] pxMillis) {
    return CompletableFuture.completedFuture(setAll(keys, values, pxMillis));
  }

  /** {@link #mget} as a future (completing with {@code null} on failure); see {@link #setAsync}. */
  CompletableFuture<@Nullable List<Read>> mgetAsync(List<byte[]> keys) {
    return CompletableFuture.completedFuture(mget(keys));
  }

  /**
   * Writes a loaded value only if L2 still holds what the load saw ({@code expectedVersion}, or
   * nothing when empty): a put or an invalidation in between wins. One EVALSHA.
   */
  abstract boolean setIfVersion(byte[] key, byte[] value, long pxMillis, byte[] expectedVersion);

  /** {@link #setIfVersion} for many keys in one pipeline (one round trip per node). */
  abstract boolean setAllIfVersion(List<byte[]> keys, List<byte[]> values, long[] pxMillis, List<byte[]> expected);

  /** Several SETs in one pipeline (one round trip per node). */
  abstract boolean setAll(List<byte[]> keys, List<byte[]> values, long[] pxMillis);

  /** Deletes keys: one DEL on a standalone Redis, pipelined DELs (one round trip per node) on a Cluster. */
  abstract boolean del(List<byte[]> keys);

  /** PUBLISH, or SPUBLISH on a Cluster. */
  abstract boolean publish(byte[] channel, byte[] message);

  /** SET NX PX on the lease key: 1 taken, 0 held by another, -1 Redis unavailable. */
  abstract int tryLease(byte[] leaseKey, byte[] owner, long pxMillis);

  /** Deletes the lease key if this instance still holds it. */
  abstract void releaseLease(byte[] leaseKey, byte[] owner);

  /** Deletes every key starting with {@code prefix} (SCAN MATCH over every master, then DEL). */
  abstract boolean deleteByPrefix(byte[] prefix);

  /**
   * Files {@code member} under each tag set of {@code tagKeys} ({@link #TAG_ADD}) for {@code
   * pxMillis}: one EVALSHA per tag, one round trip per node.
   */
  abstract boolean addToTags(List<byte[]> tagKeys, byte[] member, long pxMillis);

  /**
   * Takes up to {@code max} live members out of the tag set {@code tagKey} ({@link #TAG_TAKE}, one
   * EVALSHA on the set's node); {@code null} on failure.
   */
  abstract @Nullable List<byte[]> takeTagMembers(byte[] tagKey, int max);

  /** The members a {@link #TAG_TAKE} reply holds. */
  static List<byte[]> members(@Nullable Object reply) {
    List<byte[]> out = new java.util.ArrayList<>();
    if (reply instanceof List<?> list) {
      for (Object o : list) {
        if (o instanceof byte[] b) {
          out.add(b);
        } else if (o instanceof java.nio.ByteBuffer buf) {
          byte[] b = new byte[buf.remaining()];
          buf.get(b);
          out.add(b);
        } else if (o != null) {
          throw new IllegalStateException("unexpected tag member reply " + o.getClass().getName());
        }
      }
    }
    return out;
  }

  /**
   * Whether a call sent now reaches Redis at once; when not, {@link #callAsync} fails it at once
   * (a failure for the breaker) rather than leave it to wait out the L2 timeout in a client's
   * queue of commands held for a reconnection, to be sent late.
   */
  boolean canSend() {
    return true;
  }

  /** Releases what the tier itself opened (not the user's client). */
  void close() {}

  static byte[] globPrefix(byte[] prefix) {
    byte[] out = new byte[prefix.length * 2 + 1];
    int n = 0;
    for (byte b : prefix) {
      if (b == '*' || b == '?' || b == '[' || b == ']' || b == '\\') {
        out[n++] = '\\';
      }
      out[n++] = b;
    }
    out[n++] = '*';
    return Arrays.copyOf(out, n);
  }

  private Span span(String op) {
    return tracer.spanBuilder(op)
        .setSpanKind(SpanKind.CLIENT)
        .setAttribute("db.system", "redis")
        .setAttribute("db.operation.name", op)
        .setAttribute("scaleblocks.cache", cacheName)
        .startSpan();
  }

  /** Runs {@code body} under the breaker; {@code null} when refused or failed. */
  final <T> @Nullable T call(String op, Timer timer, Supplier<T> body) {
    if (!breaker.tryAcquirePermission()) {
      return null;
    }
    Span span = span(op);
    long start = ticker.read();
    try {
      T result = body.get();
      succeeded(timer, start);
      return result;
    } catch (RuntimeException e) {
      failed(op, timer, start, span, e);
      return null;
    } finally {
      span.end();
    }
  }

  /**
   * Sends {@code body} under the breaker, without waiting: the future completes with the result,
   * or with {@code null} when refused, failed, or not answered within the L2 timeout (the
   * command itself is not cancelled; its late answer is dropped). Completes on the client's I/O
   * thread, or on the JDK's timeout thread; never exceptionally.
   */
  final <T> CompletableFuture<@Nullable T> callAsync(String op, Timer timer,
      Supplier<? extends CompletableFuture<T>> body) {
    return callAsync(op, timer, timeout, body);
  }

  /** {@link #callAsync(String, Timer, Supplier)} with a bound of its own. */
  final <T> CompletableFuture<@Nullable T> callAsync(String op, Timer timer, Duration bound,
      Supplier<? extends CompletableFuture<T>> body) {
    if (!breaker.tryAcquirePermission()) {
      return CompletableFuture.completedFuture(null);
    }
    Span span = span(op);
    long start = ticker.read();
    CompletableFuture<T> sent;
    try {
      sent = canSend()
          ? body.get().copy()
          : CompletableFuture.failedFuture(new IllegalStateException("not connected to redis"));
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    return sent.orTimeout(bound.toNanos(), TimeUnit.NANOSECONDS).handle((result, e) -> {
      try {
        if (e == null) {
          succeeded(timer, start);
          return result;
        }
        failed(op, timer, start, span, unwrap(e));
        return null;
      } finally {
        span.end();
      }
    });
  }

  private void succeeded(Timer timer, long start) {
    long took = ticker.read() - start;
    breaker.onSuccess(took);
    timer.record(took, TimeUnit.NANOSECONDS);
  }

  private void failed(String op, Timer timer, long start, Span span, Throwable e) {
    long took = ticker.read() - start;
    breaker.onError(took, e);
    timer.record(took, TimeUnit.NANOSECONDS);
    metrics.l2Errors.increment();
    span.recordException(e);
    span.setStatus(StatusCode.ERROR);
    if (log.isDebugEnabled()) {
      log.debug("cache {}: redis {} failed: {}", cacheName, op, e.toString());
    }
  }

  private static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
