package dev.scaleblocks.examples.readme;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.scaleblocks.cache.TieredCache;
import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.http.RequestCorrelation;
import dev.scaleblocks.core.http.RequestMatcher;
import dev.scaleblocks.core.servlet.CorrelationFilter;
import dev.scaleblocks.pooling.Pools;
import dev.scaleblocks.ratelimit.Decision;
import dev.scaleblocks.ratelimit.RateLimitPolicy;
import dev.scaleblocks.ratelimit.RateLimiter;
import dev.scaleblocks.ratelimit.TenantPolicies;
import dev.scaleblocks.ratelimit.http.HttpRateLimit;
import dev.scaleblocks.ratelimit.http.KeyResolver;
import dev.scaleblocks.ratelimit.http.PlanResolver;
import dev.scaleblocks.ratelimit.servlet.RateLimitFilter;
import dev.scaleblocks.ratelimit.throttle.Throttle;
import dev.scaleblocks.sharding.ShardRouter;
import dev.scaleblocks.sharding.ShardedDataSource;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.servlet.DispatcherType;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.junit.jupiter.api.Test;

/**
 * The README's quick starts, one per block, as code that compiles and runs without any service
 * (L1-only cache, local limiter, H2 shards). The README copies the text between the
 * {@code // README:name} and {@code // END} markers; changing an API breaks this test first.
 * {@link QuickStartIT} holds the ones that need Redis or PostgreSQL.
 */
class QuickStartTest {

  record Item(long id, String name) {}

  private final AtomicInteger loads = new AtomicInteger();

  private Item loadFromDatabase(long id) {
    loads.incrementAndGet();
    return new Item(id, "item " + id);
  }

  @Test
  void cache() {
    // README:cache
    TieredCache<Long, Item> items =
        TieredCache.builder()
            .name("items")
            .maximumSize(10_000)
            .l1Ttl(Duration.ofMinutes(1))
            .build(); // L1 only; add .redis(client).keyCodec(..).valueCodec(..) for the shared L2

    Item item = items.get(42L, id -> loadFromDatabase(id)); // loads once, then served from memory
    items.put(42L, new Item(42, "renamed"));                 // both tiers, other instances' L1 dropped
    items.invalidate(42L);
    // END
    assertThat(item).isEqualTo(new Item(42, "item 42"));
    assertThat(items.get(42L, this::loadFromDatabase)).isEqualTo(new Item(42, "item 42"));
    assertThat(loads).hasValue(2);
    items.close();
  }

  @Test
  void rateLimiter() {
    // README:ratelimit
    RateLimitPolicy perClient =
        RateLimitPolicy.builder("per-client")
            .limit(10, Duration.ofSeconds(1))      // 10 per second
            .limit(1_000, Duration.ofHours(1))     // and 1000 per hour, all or nothing
            .build();
    RateLimiter limiter = RateLimiter.builder(perClient).local().build(); // or .redis(client)

    Decision d = limiter.tryAcquire("client-42");
    if (!d.allowed()) {
      // answer 429 with Retry-After: d.retryAfter()
    }
    // END
    assertThat(d.allowed()).isTrue();
    assertThat(d.remaining()).isEqualTo(9);
    for (int i = 0; i < 9; i++) {
      assertThat(limiter.tryAcquire("client-42").allowed()).isTrue();
    }
    assertThat(limiter.tryAcquire("client-42").allowed()).isFalse();
    limiter.close();
  }

  @Test
  void throttle() throws Exception {
    RateLimiter limiter = RateLimiter.builder(RateLimitPolicy.builder("search")
        .limit(1, Duration.ofMinutes(1)).build()).local().build();
    AtomicInteger served = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    // DOC:ratelimit.md#throttle
    Throttle throttle = Throttle.builder("search", limiter)
        .queueCapacity(50)                 // burst=50: up to 50 requests wait per key
        .maxDelay(Duration.ofSeconds(2))   // none waits longer; refused after that
        .build();
    CompletableFuture<Void> answered = throttle.acquire("client-42").thenAccept(decision -> {
      if (decision.allowed()) {
        served.incrementAndGet();          // serve the request
      } else {
        refused.incrementAndGet();         // answer 429 with Retry-After: decision.retryAfter()
      }
    });
    // END
    answered.get(5, TimeUnit.SECONDS);
    CompletableFuture<Void> second = throttle.acquire("client-42").thenAccept(d -> {
      if (!d.allowed()) {
        refused.incrementAndGet();
      }
    });
    throttle.close(); // the second waits (1 a minute) until closed: refused
    second.get(5, TimeUnit.SECONDS);
    assertThat(served).hasValue(1);
    assertThat(refused).hasValue(1);
    limiter.close();
  }

  private void callUpstream() {
    throw new IllegalStateException("upstream answered 503");
  }

  @Test
  void refunds() {
    RateLimiter limiter = RateLimiter.builder(RateLimitPolicy.builder("orders")
        .limit(1, Duration.ofMinutes(1)).build()).local().build();
    // DOC:ratelimit.md#refunds
    Decision d = limiter.tryAcquire("client-42");
    if (d.allowed()) {
      try {
        callUpstream();
      } catch (RuntimeException upstreamFailed) {
        limiter.refund(d);                          // the work was not done: the permit goes back
      }
    }

    HttpRateLimit http = HttpRateLimit.builder()
        .route(RequestMatcher.path("/api/**"), limiter)
        .refundWhen(HttpRateLimit.serverErrors())   // a 5xx answer gives its permits back
        .refundCancelled(true)                      // so does a request cancelled before its answer
        .build();
    // END
    assertThat(http.refunds()).isTrue();
    assertThat(limiter.refund(d)).as("once").isFalse();
    assertThat(limiter.tryAcquire("client-42").allowed()).as("the refunded permit").isTrue();
    assertThat(limiter.tryAcquire("client-42").allowed()).isFalse();
    limiter.close();
  }

  @Test
  void tenantPlans() {
    Map<String, String> planOfApiKey = Map.of("key-1", "free", "key-2", "pro");
    // DOC:ratelimit.md#tenants
    TenantPolicies plans = TenantPolicies.builder("api")
        .plan(RateLimitPolicy.builder("free").limit(100, Duration.ofMinutes(15)).build())
        .plan(RateLimitPolicy.builder("pro").limit(10_000, Duration.ofMinutes(15)).build())
        .defaultPlan("free")                                 // for a key without a known plan
        .maxPlans(16)                                        // a 17th plan is refused
        .limiters(policy -> RateLimiter.builder(policy).local())  // or .redis(jedis), .lettuce(client)
        .build();

    HttpRateLimit http = HttpRateLimit.builder()
        .route(RequestMatcher.path("/api/**"), plans,
            PlanResolver.header("X-Api-Key", planOfApiKey::get))  // API key -> plan, in memory
        .keyResolver(KeyResolver.apiKey("X-Api-Key"))        // whose counter: the API key's
        .build();

    Decision d = plans.limiter("pro").tryAcquire("tenant-42");   // or decide directly

    // at runtime, on every instance (from your configuration): the counters are kept
    plans.update(RateLimitPolicy.builder("pro").limit(20_000, Duration.ofMinutes(15)).build());
    // END
    assertThat(http.headerStyle()).isNotNull();
    assertThat(d.remaining()).isEqualTo(9_999);
    // a token bucket keeps its tokens (9 999 left), refilling at the new rate
    assertThat(plans.limiter("pro").tryAcquire("tenant-42").remaining()).isEqualTo(9_998);
    assertThat(plans.limiter("pro").tryAcquire("tenant-42").limit()).isEqualTo(20_000);
    plans.close();
  }

  @Test
  void shardRouter() {
    // README:sharding
    ShardRouter<String> router =
        ShardRouter.<String>maglev()
            .shard("db-a", "jdbc:postgresql://db-a/app")
            .shard("db-b", "jdbc:postgresql://db-b/app")
            .shard("db-c", "jdbc:postgresql://db-c/app")
            .build();
    String owner = router.route("customer-42");                   // same answer on every instance
    ShardRouter<String> grown = router.withShard("db-d", "jdbc:postgresql://db-d/app"); // ~1/4 of keys move
    // END
    assertThat(owner).startsWith("jdbc:postgresql://db-");
    assertThat(router.route("customer-42")).isEqualTo(owner);
    assertThat(grown.shards()).hasSize(4);
  }

  @Test
  void shardedDataSource() throws Exception {
    HikariDataSource shardA = h2("qs-a");
    HikariDataSource shardB = h2("qs-b");
    // README:sharded-datasource
    ShardedDataSource db =
        ShardedDataSource.builder()
            .router(ShardRouter.<DataSource>jump().shard("a", shardA).shard("b", shardB).build())
            .build();
    try (Connection c = db.getConnection(42L)) { // the shard owning key 42
      c.createStatement().execute("CREATE TABLE IF NOT EXISTS t (id BIGINT)");
    }
    Map<String, Boolean> ready = db.fanOut(shard -> { // every shard, in parallel
      try (Connection c = shard.handle().getConnection()) {
        return c.isValid(1);
      }
    });
    // END
    assertThat(ready).containsOnlyKeys("a", "b").containsValues(true);
    db.close();
    shardA.close();
    shardB.close();
  }

  @Test
  void pool() throws Exception {
    SimpleMeterRegistry meterRegistry = new SimpleMeterRegistry();
    // README:pooling
    HikariDataSource orders =
        Pools.builder()
            .jdbcUrl("jdbc:h2:mem:orders;DB_CLOSE_DELAY=-1") // or .postgresql(host, port, database)
            .credentials("sa", "")
            .poolName("orders")
            .telemetry(Telemetry.of(meterRegistry))          // HikariCP metrics, tagged
            .build();
    // END
    try (Connection c = orders.getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT 1")) {
      assertThat(rs.next()).isTrue();
    }
    assertThat(meterRegistry.find("hikaricp.connections").gauge()).isNotNull();
    orders.close();
  }

  @Test
  void httpAdaptersOnJetty() {
    RateLimiter limiter =
        RateLimiter.builder(RateLimitPolicy.builder("per-ip").limit(100, Duration.ofSeconds(10)).build())
            .local()
            .build();
    // README:servlet
    ServletContextHandler context = new ServletContextHandler();
    EnumSet<DispatcherType> requests = EnumSet.of(DispatcherType.REQUEST);
    context.addFilter(new FilterHolder(new CorrelationFilter(RequestCorrelation.defaults())), "/*", requests);
    context.addFilter(
        new FilterHolder(
            new RateLimitFilter(
                HttpRateLimit.builder()
                    .route(RequestMatcher.path("/api/**"), limiter)
                    .keyResolver(KeyResolver.clientIp())
                    .build())),
        "/*",
        requests);
    // END
    assertThat(context.getServletHandler().getFilters()).hasSize(2);
    limiter.close();
  }

  private static HikariDataSource h2(String name) {
    return Pools.builder().jdbcUrl("jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1").credentials("sa", "").maximumPoolSize(2).build();
  }
}
