package dev.scaleblocks.examples.readme;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.cache.TieredCache;
import dev.scaleblocks.core.codec.Codec;
import dev.scaleblocks.core.testing.TestServices;
import dev.scaleblocks.pooling.Pools;
import dev.scaleblocks.pooling.ReadWriteDataSource;
import dev.scaleblocks.ratelimit.Decision;
import dev.scaleblocks.ratelimit.RateLimitPolicy;
import dev.scaleblocks.ratelimit.RateLimiter;
import dev.scaleblocks.ratelimit.TenantPolicies;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

/**
 * The README's quick starts that need the real Redis or PostgreSQL (see {@link QuickStartTest} for
 * the marker convention).
 */
class QuickStartIT {

  private static final String RUN = UUID.randomUUID().toString().substring(0, 8);

  @Test
  void cacheWithRedis() {
    InetSocketAddress address = TestServices.redis();
    String host = address.getHostString();
    int port = address.getPort();
    // README:cache-redis
    RedisClient redis = RedisClient.create(host, port);
    TieredCache<String, String> names =
        TieredCache.builder()
            .name("names-" + RUN)
            .redis(redis)                 // L2 shared by every instance, L1 invalidated over pub/sub
            .keyCodec(Codec.utf8())
            .valueCodec(Codec.utf8())
            .build();
    String name = names.get("user:42", key -> "Ada"); // L1 → Redis → loader, then both tiers
    // END
    assertThat(name).isEqualTo("Ada");
    assertThat(names.get("user:42", key -> "never called")).isEqualTo("Ada");
    names.invalidateAll();
    names.close();
    redis.close();
  }

  @Test
  void tenantPlansInRedis() {
    InetSocketAddress address = TestServices.redis();
    RedisClient jedis = RedisClient.create(address.getHostString(), address.getPort());
    RateLimitPolicy free = RateLimitPolicy.builder("free").limit(100, Duration.ofMinutes(15)).build();
    RateLimitPolicy pro = RateLimitPolicy.builder("pro").limit(10_000, Duration.ofMinutes(15)).build();
    // DOC:ratelimit.md#tenants-store
    TenantPolicies plans = TenantPolicies.builder("api-" + RUN)
        .plan(free).plan(pro)                  // used until a plan is published
        .planStore(jedis)                      // or .lettucePlanStore(client), standalone or Cluster
        .limiters(policy -> RateLimiter.builder(policy).redis(jedis))
        .build();
    // on any one instance: stored, announced, applied by every instance
    plans.publish(RateLimitPolicy.builder("pro").limit(20_000, Duration.ofMinutes(15)).build());
    // END
    assertThat(plans.policy("pro").limits().get(0).quota()).isEqualTo(20_000);
    plans.close();
    jedis.close();
  }

  @Test
  void rateLimiterOnRedis() {
    InetSocketAddress address = TestServices.redis();
    RedisClient redis = RedisClient.create(address.getHostString(), address.getPort());
    // README:ratelimit-redis
    RateLimiter limiter =
        RateLimiter.builder(RateLimitPolicy.builder("api-" + RUN).limit(100, Duration.ofMinutes(1)).build())
            .redis(redis)                            // one EVALSHA per decision, shared by all instances
            .storeTimeout(Duration.ofMillis(100))    // then the failure policy decides (fail open by default)
            .build();
    Decision d = limiter.tryAcquire("client-42");
    // END
    assertThat(d.allowed()).isTrue();
    assertThat(d.remaining()).isEqualTo(99);
    limiter.close();
    redis.close();
  }

  @Test
  void readWriteDataSource() throws Exception {
    String primaryUrl = TestServices.postgresPrimaryUrl("postgres");
    String replicaUrl = TestServices.postgresReplicaUrl("postgres");
    String user = TestServices.postgresUser();
    // README:read-write
    ReadWriteDataSource db =
        ReadWriteDataSource.builder()
            .primary(Pools.builder().jdbcUrl(primaryUrl).credentials(user, null))
            .replica(Pools.builder().jdbcUrl(replicaUrl).credentials(user, null))
            .maxReplicationLag(Duration.ofSeconds(5))
            .build();
    boolean onReplica = db.read(c -> {        // a serving replica, else the primary
      try (ResultSet rs = c.createStatement().executeQuery("SELECT pg_is_in_recovery()")) {
        rs.next();
        return rs.getBoolean(1);
      }
    });
    try (Connection c = db.readWrite().getConnection()) { // always the primary
      c.createStatement().execute("SELECT 1");
    }
    // END
    assertThat(onReplica).isTrue();
    db.close();
  }
}
