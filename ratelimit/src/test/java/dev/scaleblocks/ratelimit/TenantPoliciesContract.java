package dev.scaleblocks.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.testing.FakeTicker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Per-tenant plans changed at runtime, the same tests and numbers on every store (the local one,
 * Redis standalone and Cluster over Jedis and Lettuce), under fake time: plans of different quotas,
 * a change of quota that keeps the counters, a tenant changing plans, the bound on plans and the
 * refusal of another algorithm or other periods.
 */
abstract class TenantPoliciesContract {

  private static final Duration QUARTER = Duration.ofMinutes(15);

  /** Starts on a day boundary so that windows start together. */
  protected final FakeTicker ticker = new FakeTicker(TimeUnit.DAYS.toNanos(20_000));

  protected final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private final List<TenantPolicies> open = new ArrayList<>();

  /** Chooses the store under test; the key prefix is left to the plans. */
  protected abstract RateLimiterBuilder store(RateLimiterBuilder builder);

  @AfterEach
  void closePlans() {
    open.forEach(TenantPolicies::close);
  }

  private static RateLimitPolicy policy(String name, Algorithm algorithm, long quota) {
    return RateLimitPolicy.builder(name).algorithm(algorithm).limit(quota, QUARTER).build();
  }

  private TenantPolicies.Builder plans(String name) {
    return TenantPolicies.builder(name)
        .limiters(p -> store(RateLimiter.builder(p).ticker(ticker).sleeper(ticker::advanceNanos)))
        .telemetry(Telemetry.of(registry));
  }

  private TenantPolicies plans(Algorithm algorithm, long free, long pro) {
    TenantPolicies t = plans("t-" + UUID.randomUUID())
        .plan(policy("free", algorithm, free))
        .plan(policy("pro", algorithm, pro))
        .defaultPlan("free")
        .build();
    open.add(t);
    return t;
  }

  private static String key() {
    return "k-" + UUID.randomUUID();
  }

  /** Admits exactly {@code n} requests of {@code key}, then refuses the next. */
  private static void admitsExactly(RateLimiter limiter, String key, long n) {
    for (long i = 0; i < n; i++) {
      Decision d = limiter.tryAcquire(key);
      assertThat(d.allowed()).as("request %s of %s: %s", i + 1, n, d).isTrue();
    }
    assertThat(limiter.tryAcquire(key).allowed()).as("request %s", n + 1).isFalse();
  }

  private static void spend(RateLimiter limiter, String key, long n) {
    for (long i = 0; i < n; i++) {
      assertThat(limiter.tryAcquire(key).allowed()).as("request %s", i + 1).isTrue();
    }
  }

  @Test
  void plansOfDifferentQuotasLimitTheirTenants() {
    TenantPolicies t = plans(Algorithm.FIXED_WINDOW, 3, 7);
    admitsExactly(t.limiter("free"), key(), 3);
    admitsExactly(t.limiter("pro"), key(), 7);
    Decision d = t.limiter("pro").tryAcquire(key());
    assertThat(d.policyName()).isEqualTo("pro");
    assertThat(d.limit()).isEqualTo(7);
    assertThat(d.remaining()).isEqualTo(6);
  }

  @Test
  void unknownPlansGetTheDefaultPlanOrAreRefused() {
    TenantPolicies t = plans(Algorithm.FIXED_WINDOW, 3, 7);
    assertThat(t.limiter("gold")).isSameAs(t.limiter("free"));
    assertThat(t.limiter(null)).isSameAs(t.limiter("free"));
    assertThat(registry.get("scaleblocks.ratelimit.plans.unknown").counter().count()).isEqualTo(2);

    TenantPolicies strict = plans("s-" + UUID.randomUUID())
        .plan(policy("basic", Algorithm.FIXED_WINDOW, 3))
        .build();
    open.add(strict);
    assertThatThrownBy(() -> strict.limiter("gold"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("plan must be one of [basic] (there is no default plan) but was gold");
  }

  /**
   * Threads deciding on a plan while it is updated over and over: every decision is admitted and
   * counted in the plan's store (never by a fallback), however the update and a decision interleave.
   * The old limiter used to be closed before the new one was built, so a decision that read it in
   * between found its store shut and was decided as a busy client.
   */
  @Test
  void decisionsRacingUpdatesAreAllDecidedByTheStore() throws Exception {
    TenantPolicies t = plans(Algorithm.FIXED_WINDOW, 1_000_000, 1_000_000);
    RateLimiter pro = t.limiter("pro");
    pro.tryAcquire(key()); // built before the race
    java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
    java.util.Queue<String> wrong = new java.util.concurrent.ConcurrentLinkedQueue<>();
    java.util.concurrent.atomic.AtomicLong decided = new java.util.concurrent.atomic.AtomicLong();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<?>> deciders = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        deciders.add(pool.submit(() -> {
          while (running.get()) {
            Decision d = pro.tryAcquire(key());
            decided.incrementAndGet();
            Admission a = d.admission();
            if (!d.allowed() || a == null || a.origin != Origin.Place.STORE) {
              wrong.add(d + " from " + (a == null ? "nowhere" : a.origin));
            }
          }
        }));
      }
      for (int u = 0; u < 40; u++) {
        t.update(policy("pro", Algorithm.FIXED_WINDOW, 1_000_000 + u));
        Thread.sleep(5);
      }
      running.set(false);
      for (java.util.concurrent.Future<?> f : deciders) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      running.set(false);
      pool.shutdownNow();
    }
    assertThat(wrong).as("decisions among %s not admitted by the store", decided.get()).isEmpty();
  }

  /** Windows and GCRA keep what was spent: 80 of 100 spent, 200 leaves 120, 50 refuses. */
  @Test
  void aChangeOfQuotaKeepsWhatWasSpent() {
    for (Algorithm algorithm :
        List.of(Algorithm.FIXED_WINDOW, Algorithm.SLIDING_WINDOW, Algorithm.GCRA)) {
      TenantPolicies t = plans(algorithm, 100, 1000);
      RateLimiter free = t.limiter("free");
      String raised = key();
      String lowered = key();
      spend(free, raised, 80);
      spend(free, lowered, 80);

      t.update(policy("free", algorithm, 200));
      assertThat(free.policy().limits().get(0).quota()).isEqualTo(200);
      Decision first = free.tryAcquire(raised);
      assertThat(first.limit()).as("%s", algorithm).isEqualTo(200);
      assertThat(first.remaining()).as("%s", algorithm).isEqualTo(119);
      admitsExactly(free, raised, 119);

      t.update(policy("free", algorithm, 50));
      Decision refused = free.tryAcquire(lowered);
      assertThat(refused.allowed()).as("%s: 80 spent, limit 50", algorithm).isFalse();
      assertThat(refused.remaining()).isZero();
      assertThat(refused.retryAfter()).isPositive();
      ticker.advance(refused.retryAfter());
      if (algorithm == Algorithm.SLIDING_WINDOW) {
        ticker.advance(QUARTER); // the previous window's weight gone too
      } else if (algorithm == Algorithm.GCRA) {
        ticker.advance(QUARTER); // the debt of 80 drained below 50, then all of it
      }
      admitsExactly(free, lowered, 50);
      assertThat(registry.get("scaleblocks.ratelimit.plans.updates").tag("tenants", t.name())
          .tag("plan", "free").counter().count()).isEqualTo(2);
      t.close(); // the next one's "free" limiter claims the name on the registry
    }
  }

  /**
   * A token bucket keeps its tokens: 20 left of 100 stay 20 under 200 (refilling at the new rate)
   * and a full bucket of 100 is clamped to a new capacity of 50.
   */
  @Test
  void aTokenBucketKeepsItsTokensClampedToTheCapacity() {
    TenantPolicies t = plans(Algorithm.TOKEN_BUCKET, 100, 1000);
    RateLimiter free = t.limiter("free");
    String spent = key();
    String full = key();
    spend(free, spent, 80);
    assertThat(free.tryAcquire(full).remaining()).isEqualTo(99);

    t.update(policy("free", Algorithm.TOKEN_BUCKET, 200));
    admitsExactly(free, spent, 20);
    ticker.advance(QUARTER.dividedBy(200).multipliedBy(10)); // 10 tokens at 200 per 15 min
    admitsExactly(free, spent, 10);

    t.update(policy("free", Algorithm.TOKEN_BUCKET, 50));
    Decision d = free.tryAcquire(full);
    assertThat(d.limit()).isEqualTo(50);
    assertThat(d.remaining()).isEqualTo(49);
    admitsExactly(free, full, 49);
  }

  /** One key space: a tenant moving from free to pro keeps what it spent, and back. */
  @Test
  void aTenantChangingPlansKeepsItsCounter() {
    TenantPolicies t = plans(Algorithm.FIXED_WINDOW, 100, 1000);
    String tenant = key();
    spend(t.limiter("free"), tenant, 80);
    assertThat(t.limiter("pro").tryAcquire(tenant).remaining()).isEqualTo(1000 - 81);
    spend(t.limiter("pro"), tenant, 100);
    assertThat(t.limiter("free").tryAcquire(tenant).allowed())
        .as("181 spent, back on the free plan of 100").isFalse();
  }

  @Test
  void plansAreBoundedAndKeepTheirShape() {
    TenantPolicies t = plans("b-" + UUID.randomUUID())
        .plan(policy("free", Algorithm.FIXED_WINDOW, 10))
        .plan(policy("pro", Algorithm.FIXED_WINDOW, 100))
        .maxPlans(3)
        .build();
    open.add(t);
    t.update(policy("team", Algorithm.FIXED_WINDOW, 500));
    assertThatThrownBy(() -> t.update(policy("enterprise", Algorithm.FIXED_WINDOW, 5000)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("plans must be at most 3")
        .hasMessageContaining("enterprise");
    assertThat(t.plans()).containsExactlyInAnyOrder("free", "pro", "team");
    admitsExactly(t.limiter("team"), key(), 500);

    assertThatThrownBy(() -> t.update(policy("pro", Algorithm.TOKEN_BUCKET, 100)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("policy pro must have the algorithm and periods")
        .hasMessageContaining("TOKEN_BUCKET");
    assertThatThrownBy(() -> t.update(RateLimitPolicy.builder("pro")
        .algorithm(Algorithm.FIXED_WINDOW).limit(100, Duration.ofMinutes(1)).build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PT1M");
    assertThat(t.policy("pro")).isNotNull();
    assertThat(t.policy("pro").algorithm()).isEqualTo(Algorithm.FIXED_WINDOW);
    assertThat(registry.get("scaleblocks.ratelimit.plans.refused").tag("reason", "max_plans")
        .counter().count()).isEqualTo(1);
    assertThat(registry.get("scaleblocks.ratelimit.plans.refused").tag("reason", "shape")
        .counter().count()).isEqualTo(2);
    assertThat(registry.get("scaleblocks.ratelimit.plans").tag("tenants", t.name())
        .gauge().value()).isEqualTo(3);
  }

  /** Decisions are counted per plan by the plans' limiters; an update keeps counting. */
  @Test
  void decisionsAreCountedPerPlan() {
    TenantPolicies t = plans(Algorithm.FIXED_WINDOW, 2, 5);
    admitsExactly(t.limiter("free"), key(), 2);
    spend(t.limiter("pro"), key(), 4);
    assertThat(registry.get("scaleblocks.ratelimit.decisions").tag("policy", "free")
        .tag("result", "allowed").counter().count()).isEqualTo(2);
    assertThat(registry.get("scaleblocks.ratelimit.decisions").tag("policy", "free")
        .tag("result", "rejected").counter().count()).isEqualTo(1);
    assertThat(registry.get("scaleblocks.ratelimit.decisions").tag("policy", "pro")
        .tag("result", "allowed").counter().count()).isEqualTo(4);

    t.update(policy("pro", Algorithm.FIXED_WINDOW, 6));
    spend(t.limiter("pro"), key(), 1);
    assertThat(registry.get("scaleblocks.ratelimit.decisions").tag("policy", "pro")
        .tag("result", "allowed").counter().count()).isEqualTo(1);
  }

  /** A policy the template cannot build is refused by update, and the plan keeps its policy. */
  @Test
  void aPolicyTheTemplateRefusesLeavesThePlanAsItWas() {
    // the contract's template, refusing a quota of 13
    TenantPolicies picky = TenantPolicies.builder("p-" + UUID.randomUUID())
        .plan(policy("basic", Algorithm.FIXED_WINDOW, 3))
        .limiters(p -> {
          if (p.limits().get(0).quota() == 13) {
            throw new IllegalArgumentException("quota 13 is unlucky");
          }
          return store(RateLimiter.builder(p).ticker(ticker).sleeper(ticker::advanceNanos));
        })
        .build();
    open.add(picky);
    String tenant = key();
    spend(picky.limiter("basic"), tenant, 2);
    assertThatThrownBy(() -> picky.update(policy("basic", Algorithm.FIXED_WINDOW, 13)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("quota 13 is unlucky");
    assertThat(picky.policy("basic").limits().get(0).quota()).isEqualTo(3);
    admitsExactly(picky.limiter("basic"), tenant, 1);
  }

  @Test
  void badArgumentsAreRefusedByName() {
    assertThatThrownBy(() -> TenantPolicies.builder("x").maxPlans(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxPlans");
    assertThatThrownBy(() -> TenantPolicies.builder("x").build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("at least one plan");
    assertThatThrownBy(() -> plans("x").plan(policy("a", Algorithm.FIXED_WINDOW, 1))
        .defaultPlan("b").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("defaultPlan must be one of [a] but was b");
    assertThatThrownBy(() -> plans("x").plan(policy("a", Algorithm.FIXED_WINDOW, 1))
        .plan(policy("b", Algorithm.GCRA, 1)).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("policy b");
    assertThatThrownBy(() -> TenantPolicies.builder("x").plan(policy("a", Algorithm.GCRA, 1))
        .limiters(p -> RateLimiter.builder(policy("other", Algorithm.GCRA, 1)).local()).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("limiters must return RateLimiter.builder(policy)");
    TenantPolicies t = plans(Algorithm.GCRA, 1, 2);
    assertThatThrownBy(() -> t.update(null))
        .isInstanceOf(NullPointerException.class).hasMessageContaining("policy");
    t.close();
    assertThatThrownBy(() -> t.limiter("free")).isInstanceOf(IllegalStateException.class);
  }
}
