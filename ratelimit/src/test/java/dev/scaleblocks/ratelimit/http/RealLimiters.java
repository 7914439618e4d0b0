package dev.scaleblocks.ratelimit.http;

import dev.scaleblocks.core.testing.TestServices;
import dev.scaleblocks.ratelimit.RateLimitPolicy;
import dev.scaleblocks.ratelimit.RateLimiter;
import dev.scaleblocks.ratelimit.TenantPolicies;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * The real limiters the adapter tests run against: the local store, or the Redis store on the
 * shared standalone Redis ({@link TestServices#redis()}) under a key prefix unique to this
 * instance, so tests never share counters. {@link #close()} closes every limiter made and the
 * Redis client; the keys expire by their own TTL.
 */
public final class RealLimiters implements AutoCloseable {

  private final String store;
  private final @Nullable UnifiedJedis redis;
  private final String prefix = "scaleblocks:test:http:" + UUID.randomUUID() + ":";
  private final List<RateLimiter> made = new ArrayList<>();
  private final List<TenantPolicies> madePlans = new ArrayList<>();

  private RealLimiters(String store, @Nullable UnifiedJedis redis) {
    this.store = store;
    this.redis = redis;
  }

  /** Limiters with the in-memory store. */
  public static RealLimiters local() {
    return new RealLimiters("local", null);
  }

  /** Limiters with the Redis store on the shared standalone Redis. */
  public static RealLimiters redis() {
    InetSocketAddress address = TestServices.redis();
    return new RealLimiters("redis", RedisClient.builder()
        .hostAndPort(address.getHostString(), address.getPort())
        .clientConfig(DefaultJedisClientConfig.builder().socketTimeoutMillis(5_000).build())
        .build());
  }

  /** A token-bucket limiter of {@code quota} per {@code window} named {@code name}. */
  public RateLimiter create(String name, long quota, Duration window) {
    return create(RateLimitPolicy.builder(name).limit(quota, window).build());
  }

  /** A limiter of {@code policy} in this store. */
  public RateLimiter create(RateLimitPolicy policy) {
    String name = policy.name();
    RateLimiter limiter;
    if (redis == null) {
      limiter = RateLimiter.builder(policy).local().build();
    } else {
      // a generous store timeout: a busy shared machine must not turn a slow answer into a
      // fail-open admission and make the quota assertions flaky
      limiter = RateLimiter.builder(policy).redis(redis).keyPrefix(prefix + name + ":")
          .storeTimeout(Duration.ofSeconds(3)).build();
    }
    made.add(limiter);
    return limiter;
  }

  /** Plans named {@code name} in this store, the first plan the default; closed with the others. */
  public TenantPolicies plans(String name, RateLimitPolicy... plans) {
    TenantPolicies.Builder b = TenantPolicies.builder(name).defaultPlan(plans[0].name());
    for (RateLimitPolicy p : plans) {
      b.plan(p);
    }
    UnifiedJedis r = redis;
    TenantPolicies t = b.limiters(p -> r == null ? RateLimiter.builder(p).local()
        : RateLimiter.builder(p).redis(r).keyPrefix(prefix + name + ":")
            .storeTimeout(Duration.ofSeconds(3))).build();
    madePlans.add(t);
    return t;
  }

  @Override
  public void close() {
    madePlans.forEach(TenantPolicies::close);
    made.forEach(RateLimiter::close);
    if (redis != null) {
      redis.close();
    }
  }

  @Override
  public String toString() {
    return store;
  }
}
