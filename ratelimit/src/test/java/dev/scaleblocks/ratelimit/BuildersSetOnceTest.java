package dev.scaleblocks.ratelimit;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.testing.FakeTicker;
import dev.scaleblocks.core.testing.SetOnceOptions;
import dev.scaleblocks.ratelimit.concurrency.ConcurrencyLimit;
import dev.scaleblocks.ratelimit.http.ClientIpResolver;
import dev.scaleblocks.ratelimit.http.HeaderStyle;
import dev.scaleblocks.ratelimit.http.HttpRateLimit;
import dev.scaleblocks.ratelimit.http.KeyResolver;
import dev.scaleblocks.ratelimit.http.ProxyHeader;
import dev.scaleblocks.ratelimit.throttle.Throttle;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every single-valued builder option refuses a second set, naming the option and its value. */
class BuildersSetOnceTest {

  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final RateLimiter limiter =
      RateLimiter.builder(RateLimitPolicy.builder("set-once")
          .algorithm(Algorithm.TOKEN_BUCKET).limit(Limit.of(10, Duration.ofSeconds(1))).build())
          .local().build();

  @AfterEach
  void close() {
    limiter.close();
    scheduler.shutdownNow();
  }

  @Test
  void tenantPoliciesBuilder() {
    redis.clients.jedis.RedisClient jedis = redis.clients.jedis.RedisClient.create("127.0.0.1", 1);
    io.lettuce.core.RedisClient lettuce = io.lettuce.core.RedisClient.create("redis://127.0.0.1:1");
    try {
      SetOnceOptions.of(TenantPolicies.Builder.class, () -> TenantPolicies.builder("t"))
          .additive("plan")
          .option("defaultPlan", b -> b.defaultPlan("free"), "defaultPlan was already set to free")
          .option("maxPlans", b -> b.maxPlans(8), "maxPlans was already set to 8")
          .option("limiters", b -> b.limiters(p -> RateLimiter.builder(p).local()),
              "limiters was already set")
          .option("telemetry", b -> b.telemetry(Telemetry.none()), "telemetry was already set")
          .option("planStore", b -> b.planStore(jedis), "planStore was already set")
          .option("lettucePlanStore", b -> b.lettucePlanStore(lettuce), "planStore was already set")
          .alsoRefused("planStore", "lettucePlanStore", "planStore was already set")
          .verify();
    } finally {
      jedis.close();
      lettuce.shutdown(0, 1, java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  @Test
  void throttleBuilder() {
    SetOnceOptions.of(Throttle.Builder.class, () -> Throttle.builder("t", limiter))
        .option("queueCapacity", b -> b.queueCapacity(20), "queueCapacity was already set to 20")
        .option("maxDelay", b -> b.maxDelay(Duration.ofSeconds(2)), "maxDelay was already set to PT2S")
        .option("maxKeys", b -> b.maxKeys(100), "maxKeys was already set to 100")
        .option("nodelay", Throttle.Builder::nodelay, "nodelay was already set")
        .option("ticker", b -> b.ticker(new FakeTicker()), "ticker was already set")
        .option("scheduler", b -> b.scheduler(scheduler), "scheduler was already set")
        .option("telemetry", b -> b.telemetry(Telemetry.none()), "telemetry was already set")
        .verify();
  }

  @Test
  void concurrencyLimitBuilder() {
    SetOnceOptions.of(ConcurrencyLimit.Builder.class, () -> ConcurrencyLimit.builder("c"))
        .option("initialLimit", b -> b.initialLimit(10), "initialLimit was already set to 10")
        .option("minLimit", b -> b.minLimit(2), "minLimit was already set to 2")
        .option("maxLimit", b -> b.maxLimit(50), "maxLimit was already set to 50")
        .option("window", b -> b.window(Duration.ofMillis(50)), "window was already set to PT0.05S")
        .option("windowSamples", b -> b.windowSamples(5), "windowSamples was already set to 5")
        .option("probeInterval", b -> b.probeInterval(100), "probeInterval was already set to 100")
        .option("ticker", b -> b.ticker(new FakeTicker()), "ticker was already set")
        .option("telemetry", b -> b.telemetry(Telemetry.none()), "telemetry was already set")
        .verify();
  }

  @Test
  void httpRateLimitBuilder() {
    java.time.Clock clock = java.time.Clock.fixed(java.time.Instant.EPOCH, java.time.ZoneOffset.UTC);
    SetOnceOptions.of(HttpRateLimit.Builder.class, HttpRateLimit::builder)
        .additive("route")
        .option("keyResolver", b -> b.keyResolver(KeyResolver.clientIp()), "keyResolver was already set")
        .option("skip", b -> b.skip(r -> false), "skip was already set")
        .option("headerStyle", b -> b.headerStyle(HeaderStyle.LEGACY), "headerStyle was already set to LEGACY")
        .option("rejectionStatus", b -> b.rejectionStatus(503), "rejectionStatus was already set to 503")
        .option("shadow", b -> b.shadow(true), "shadow was already set to true")
        .option("clock", b -> b.clock(clock), "clock was already set to " + clock)
        .option("telemetry", b -> b.telemetry(Telemetry.none()), "telemetry was already set")
        .option("refundWhen", b -> b.refundWhen(HttpRateLimit.serverErrors()), "refundWhen was already set")
        .option("refundCancelled", b -> b.refundCancelled(true), "refundCancelled was already set to true")
        .verify();
  }

  @Test
  void clientIpResolverBuilder() {
    SetOnceOptions.of(ClientIpResolver.Builder.class, ClientIpResolver::builder)
        .additive("trustedProxies")
        .option("proxyHeader", b -> b.proxyHeader(ProxyHeader.FORWARDED), "proxyHeader was already set to FORWARDED")
        .option("ipv6PrefixLength", b -> b.ipv6PrefixLength(56), "ipv6PrefixLength was already set to 56")
        .option("ipv4PrefixLength", b -> b.ipv4PrefixLength(24), "ipv4PrefixLength was already set to 24")
        .option("maxHops", b -> b.maxHops(4), "maxHops was already set to 4")
        .verify();
  }

  @Test
  void rateLimitPolicyBuilder() {
    SetOnceOptions.of(RateLimitPolicy.Builder.class, () -> RateLimitPolicy.builder("p"))
        .additive("limit")
        .option("algorithm", b -> b.algorithm(Algorithm.GCRA), "algorithm was already set to GCRA")
        .verify();
  }
}
