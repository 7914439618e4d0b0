package dev.scaleblocks.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scaleblocks.core.Telemetry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.UnifiedJedis;

/**
 * Plans kept in Redis reach every instance: two (and three) {@link TenantPolicies} of one name in
 * this JVM stand for instances, on the real standalone Redis through Jedis; subclasses run the
 * same on the Cluster and through Lettuce. Real time: the measured propagation is printed.
 */
class SharedPlansIT {

  private static UnifiedJedis jedis;
  private final List<TenantPolicies> open = new ArrayList<>();

  @BeforeAll
  static void connect() {
    jedis = RedisClients.standalone();
  }

  @AfterAll
  static void close() {
    jedis.close();
  }

  @AfterEach
  void closeInstances() {
    open.forEach(TenantPolicies::close);
  }

  /** The plan store and the limiters' store of one instance. */
  protected TenantPolicies.Builder onRedis(TenantPolicies.Builder builder) {
    return builder.planStore(jedis).limiters(p -> RateLimiter.builder(p).redis(jedis)
        .failurePolicy(FailurePolicy.FAIL_CLOSED).storeTimeout(Duration.ofSeconds(5)));
  }

  private static RateLimitPolicy gcra(String name, long quota) {
    return RateLimitPolicy.builder(name).algorithm(Algorithm.GCRA)
        .limit(quota, Duration.ofHours(1)).build();
  }

  /** An instance whose own configuration says free 2/h, pro 4/h. */
  private TenantPolicies instance(String name) {
    TenantPolicies t = onRedis(TenantPolicies.builder(name)
        .plan(gcra("free", 2))
        .plan(gcra("pro", 4))
        .telemetry(Telemetry.of(new SimpleMeterRegistry())))
        .build();
    open.add(t);
    return t;
  }

  private static long quota(TenantPolicies t, String plan) {
    RateLimitPolicy p = t.policy(plan);
    return p == null ? -1 : p.limits().get(0).quota();
  }

  private static long waitForQuota(TenantPolicies t, String plan, long quota) throws Exception {
    long start = System.nanoTime();
    long deadline = start + TimeUnit.SECONDS.toNanos(10);
    while (quota(t, plan) != quota) {
      assertThat(System.nanoTime()).as("%s of the other instance reaches %s", plan, quota)
          .isLessThan(deadline);
      Thread.sleep(0, 200_000);
    }
    return System.nanoTime() - start;
  }

  @Test
  void aPlanPublishedOnOneInstanceReachesTheOthersOnTheSameCounters() throws Exception {
    String name = "shared-" + UUID.randomUUID();
    TenantPolicies a = instance(name);
    TenantPolicies b = instance(name);
    String tenant = "tenant-" + UUID.randomUUID();
    for (int i = 0; i < 4; i++) {
      assertThat(b.limiter("pro").tryAcquire(tenant).allowed()).isTrue();
    }
    assertThat(a.limiter("pro").tryAcquire(tenant).allowed()).as("spent on b, refused on a").isFalse();
    Thread.sleep(300); // both subscribed (their first reads are done)

    long[] nanos = new long[5];
    for (int round = 0; round < nanos.length; round++) {
      long quota = 6 + round;
      long sent = System.nanoTime();
      a.publish(gcra("pro", quota));
      assertThat(quota(a, "pro")).isEqualTo(quota);
      waitForQuota(b, "pro", quota);
      nanos[round] = System.nanoTime() - sent;
    }
    java.util.Arrays.sort(nanos);
    System.out.printf("plan propagation to the other instance (%s): median %.2f ms, max %.2f ms "
            + "over %d publishes%n", getClass().getSimpleName(), nanos[nanos.length / 2] / 1e6,
        nanos[nanos.length - 1] / 1e6, nanos.length);
    assertThat(nanos[nanos.length - 1]).as("propagation").isLessThan(TimeUnit.SECONDS.toNanos(5));

    // pro is now 10 an hour: 4 spent (on b) leave 6 on either instance, never a fresh counter
    for (int i = 0; i < 6; i++) {
      TenantPolicies on = i % 2 == 0 ? b : a;
      assertThat(on.limiter("pro").tryAcquire(tenant).allowed()).as("request %s", 5 + i).isTrue();
    }
    assertThat(b.limiter("pro").tryAcquire(tenant).allowed()).isFalse();

    // an instance started later reads the stored plans over its own configuration
    TenantPolicies c = instance(name);
    assertThat(quota(c, "pro")).isEqualTo(10);
    assertThat(quota(c, "free")).isEqualTo(2);

    // a new plan reaches the others; a refused one is stored nowhere
    a.publish(gcra("team", 50));
    waitForQuota(c, "team", 50);
    assertThatThrownBy(() -> a.publish(RateLimitPolicy.builder("pro").limit(1, Duration.ofHours(1)).build()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("TOKEN_BUCKET");
    TenantPolicies d = instance(name);
    assertThat(quota(d, "pro")).isEqualTo(10);
    assertThat(d.plans()).containsExactlyInAnyOrder("free", "pro", "team");
  }

  @Test
  void publishingNeedsAPlanStore() {
    TenantPolicies t = TenantPolicies.builder("local-" + UUID.randomUUID()).plan(gcra("free", 2))
        .limiters(p -> RateLimiter.builder(p).local()).build();
    open.add(t);
    assertThatThrownBy(() -> t.publish(gcra("free", 3)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("no plan store");
  }

  /** The same on the Redis Cluster through Jedis. */
  static class ClusterIT extends SharedPlansIT {
    private static UnifiedJedis cluster;

    @BeforeAll
    static void connectCluster() {
      cluster = RedisClients.cluster();
    }

    @AfterAll
    static void closeCluster() {
      cluster.close();
    }

    @Override
    protected TenantPolicies.Builder onRedis(TenantPolicies.Builder builder) {
      return builder.planStore(cluster).limiters(p -> RateLimiter.builder(p).redis(cluster)
          .failurePolicy(FailurePolicy.FAIL_CLOSED).storeTimeout(Duration.ofSeconds(5)));
    }
  }

  /** The same on the standalone Redis through Lettuce. */
  static class LettuceIT extends SharedPlansIT {
    private static io.lettuce.core.RedisClient lettuce;

    @BeforeAll
    static void connectLettuce() {
      lettuce = RedisClients.lettuceStandalone();
    }

    @AfterAll
    static void closeLettuce() {
      lettuce.shutdown(0, 2, TimeUnit.SECONDS);
    }

    @Override
    protected TenantPolicies.Builder onRedis(TenantPolicies.Builder builder) {
      return builder.lettucePlanStore(lettuce).limiters(p -> RateLimiter.builder(p).lettuce(lettuce)
          .failurePolicy(FailurePolicy.FAIL_CLOSED).storeTimeout(Duration.ofSeconds(5)));
    }
  }

  /** The same on the Redis Cluster through Lettuce. */
  static class LettuceClusterIT extends SharedPlansIT {
    private static io.lettuce.core.cluster.RedisClusterClient lettuce;

    @BeforeAll
    static void connectLettuce() {
      lettuce = RedisClients.lettuceCluster();
    }

    @AfterAll
    static void closeLettuce() {
      lettuce.shutdown(0, 2, TimeUnit.SECONDS);
    }

    @Override
    protected TenantPolicies.Builder onRedis(TenantPolicies.Builder builder) {
      return builder.lettucePlanStore(lettuce).limiters(p -> RateLimiter.builder(p).lettuce(lettuce)
          .failurePolicy(FailurePolicy.FAIL_CLOSED).storeTimeout(Duration.ofSeconds(5)));
    }
  }
}
