package dev.scaleblocks.ratelimit;

import static dev.scaleblocks.core.internal.Checks.requireInRange;
import static dev.scaleblocks.core.internal.Checks.requireNonEmpty;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;
import static dev.scaleblocks.core.internal.Checks.requireUnset;

import com.github.benmanes.caffeine.cache.Cache;
import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.internal.OwnedMeters;
import dev.scaleblocks.core.internal.redis.RedisBackend;
import dev.scaleblocks.core.internal.redis.RedisBackends;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.UnifiedJedis;

/**
 * Rate-limit policies per tenant plan ("free: 100 per 15 minutes, pro: 10 000 per 15 minutes"),
 * changed at runtime. A plan is a {@link RateLimitPolicy}; its name is the plan's name. Each plan
 * is enforced by one {@link RateLimiter}, built from one template on the plan's first decision, so
 * a new plan needs no code; {@link #limiter(String)} gives the plan's limiter to decide with.
 *
 * {@snippet :
 * TenantPolicies plans = TenantPolicies.builder("api")
 *     .plan(RateLimitPolicy.builder("free").limit(100, Duration.ofMinutes(15)).build())
 *     .plan(RateLimitPolicy.builder("pro").limit(10_000, Duration.ofMinutes(15)).build())
 *     .defaultPlan("free")
 *     .limiters(policy -> RateLimiter.builder(policy).redis(jedis))
 *     .build();
 *
 * Decision d = plans.limiter(planOf(apiKey)).tryAcquire(apiKey);
 * plans.update(RateLimitPolicy.builder("pro").limit(20_000, Duration.ofMinutes(15)).build());
 * }
 *
 * <p><b>One key space.</b> All plans share one key space: the Redis key prefix {@code
 * scaleblocks:rl:<name>:} (or the template's {@link RateLimiterBuilder#keyPrefix}), or one
 * bounded in-memory map for a local store. A tenant whose plan changes keeps its counter: what it
 * spent under the old plan counts under the new one, so moving between plans neither hands out a
 * fresh quota nor loses one. For that, every plan has the algorithm and the periods of the first
 * (its <em>shape</em>): a plan of another shape would read the same state differently, and is
 * refused; give it a {@code TenantPolicies} of its own (another name, another key space).
 *
 * <p><b>Runtime changes.</b> {@link #update(RateLimitPolicy)} adds a plan or changes the quotas
 * and bursts of one. The stores keep no limit in their keys and Redis receives the limits with
 * each call, so the next decision of this instance applies the new quotas to the counters as they
 * are: nothing is reset. A higher limit admits at once what it adds; a token bucket holding more
 * tokens than a lower capacity is clamped to it; a window count or a GCRA debt above a lower limit
 * refuses until the window rolls or the debt drains. A change of algorithm or periods is refused
 * with {@link IllegalArgumentException} (see above). Every instance must be told: feed {@code
 * update} from the application's configuration on each instance, or give the plans a {@linkplain
 * Builder#planStore plan store} in Redis and {@link #publish} there; the counters live in Redis,
 * so instances given the same plans decide as one.
 *
 * <p><b>Bounded.</b> At most {@link Builder#maxPlans(int)} plans (32 by default): an {@code
 * update} beyond it is refused with {@link IllegalStateException} and counted, never a limiter
 * more. A request for an unknown plan (or none) is decided by the {@linkplain
 * Builder#defaultPlan default plan}, or refused with {@link IllegalArgumentException} without one;
 * either way it is counted.
 *
 * <p><b>Metrics.</b> Each plan's limiter registers the usual limiter meters, tagged {@code
 * policy=<plan>} (so decisions are counted per plan, with at most {@code maxPlans} tag values).
 * The plans themselves: {@code scaleblocks.ratelimit.plans} (gauge, plans defined), {@code
 * scaleblocks.ratelimit.plans.updates} (counter per {@code plan}), {@code
 * scaleblocks.ratelimit.plans.refused} ({@code reason=max_plans} or {@code shape}) and {@code
 * scaleblocks.ratelimit.plans.unknown} (requests for an unknown plan), all tagged {@code
 * tenants=<name>}.
 *
 * <p>Thread-safe. Cost of a decision: a map lookup and a volatile read on top of the plan's
 * limiter's; an update rebuilds the plan's limiter (the stores' threads and meters: see the
 * template's options), under the plan's lock only. A decision racing an update is decided by the
 * old limiter or by the new one, each in the plan's store: the old limiter gives up its meters
 * before the new one is built but keeps its store open for a minute after the swap (closed by a
 * later update of the plan, or by {@link #close()}), so a decision that read it just before the
 * swap still reaches Redis.
 */
public final class TenantPolicies implements AutoCloseable {

  /** Most plans by default. */
  static final int DEFAULT_MAX_PLANS = 32;

  /** Most plans accepted by {@link Builder#maxPlans(int)}. */
  static final int MAX_PLANS_LIMIT = 1024;

  private final String name;
  private final int maxPlans;
  private final @Nullable String defaultPlan;
  private final Function<RateLimitPolicy, RateLimiterBuilder> template;
  private final Telemetry telemetry;
  private final String prefix;
  /** The algorithm and periods every plan has: those of the first. */
  private final Shape shape;
  private final Map<String, PlanLimiter> plans = new ConcurrentHashMap<>();
  /** The local stores' shared per-key map, made by the first local plan limiter. */
  private volatile @Nullable Cache<String, LocalCounterStore.Cell> cells;
  private final OwnedMeters meters;
  private final Counter refusedMaxPlans;
  private final Counter refusedShape;
  private final Counter unknown;
  private volatile boolean closed;
  /** The plans kept in Redis, when {@link Builder#planStore} was given. */
  private final @Nullable SharedPlans shared;
  private final @Nullable RedisBackend sharedBackend;

  private TenantPolicies(Builder b) {
    this.name = b.name;
    this.maxPlans = b.maxPlans > 0 ? b.maxPlans : DEFAULT_MAX_PLANS;
    this.defaultPlan = b.defaultPlan;
    this.template = requireNonNull(b.template, "limiters");
    this.telemetry = b.telemetry != null ? b.telemetry : Telemetry.none();
    this.prefix = "scaleblocks:rl:" + name + ":";
    this.shape = Shape.of(b.plans.values().iterator().next());
    this.meters = OwnedMeters.claim(telemetry.meterRegistry(), "tenant policies", name);
    try {
      this.refusedMaxPlans = refused("max_plans");
      this.refusedShape = refused("shape");
      this.unknown = meters.add(Counter.builder("scaleblocks.ratelimit.plans.unknown")
          .tag("tenants", name)
          .description("requests for a plan that is not defined (decided by the default plan or refused)")
          .register(meters.registry()));
      meters.add(Gauge.builder("scaleblocks.ratelimit.plans", plans, Map::size)
          .tag("tenants", name)
          .description("plans defined")
          .register(meters.registry()));
      for (RateLimitPolicy p : b.plans.values()) {
        requireShape(p);
        plans.put(p.name(), new PlanLimiter(p));
      }
      Object client = b.planStore;
      this.sharedBackend = client == null ? null : RedisBackends.of(client);
      this.shared = sharedBackend == null ? null
          : new SharedPlans(name, sharedBackend, 2 * maxPlans, this::applyShared);
    } catch (RuntimeException | Error e) {
      meters.close();
      throw e;
    }
  }

  /** A plan read from Redis: applied unless this instance has it already. */
  private void applyShared(RateLimitPolicy policy) {
    RateLimitPolicy now = policy(policy.name());
    if (now == null || !SharedPlans.format(now).equals(SharedPlans.format(policy))) {
      update(policy);
    }
  }

  /**
   * Defines or changes the plan named {@code policy.name()} on every instance sharing the {@link
   * Builder#planStore plan store}: stores it in Redis, announces it, and applies it here; the other
   * instances apply it on the announcement (within the pub/sub delay), or, if they were
   * disconnected, on reconnection. Checked as {@link #update} first, so a plan that would be
   * refused is not stored.
   *
   * @throws IllegalStateException when there is no plan store, or as {@link #update}
   * @throws IllegalArgumentException as {@link #update}
   * @throws RuntimeException the client's exception when Redis cannot be reached (nothing changes
   *     here then)
   */
  public void publish(RateLimitPolicy policy) {
    requireNonNull(policy, "policy");
    SharedPlans s = shared;
    if (s == null) {
      throw new IllegalStateException("tenant policies " + name + " have no plan store: "
          + "set planStore(client) to publish, or update(policy) on every instance");
    }
    if (closed) {
      throw new IllegalStateException("tenant policies " + name + " are closed");
    }
    try {
      requireShape(policy);
    } catch (IllegalArgumentException e) {
      refusedShape.increment();
      throw e;
    }
    if (!plans.containsKey(policy.name()) && plans.size() >= maxPlans) {
      refusedMaxPlans.increment();
      throw new IllegalStateException("plans must be at most " + maxPlans + " (maxPlans of "
          + name + ") but plan " + policy.name() + " would be one more");
    }
    s.write(policy);
    applyShared(policy);
  }

  /**
   * Starts the plans called {@code name}: it names their Redis key space ({@code
   * scaleblocks:rl:<name>:}), threads and meters; the same rules as a policy name.
   */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** The name of these plans. */
  public String name() {
    return name;
  }

  /** The names of the plans defined now. */
  public Set<String> plans() {
    return Set.copyOf(plans.keySet());
  }

  /** The policy of {@code plan} now, or null when no such plan is defined. */
  public @Nullable RateLimitPolicy policy(String plan) {
    requireNonNull(plan, "plan");
    PlanLimiter l = plans.get(plan);
    return l == null ? null : l.policy;
  }

  /**
   * The limiter of {@code plan}: the same object for as long as these plans are open, enforcing
   * the plan's policy as it is at each decision. An unknown or null {@code plan} gets the default
   * plan's limiter (counted in {@code scaleblocks.ratelimit.plans.unknown}). Its {@code close()}
   * does nothing: {@link #close()} closes it.
   *
   * @throws IllegalArgumentException when {@code plan} is unknown or null and there is no default
   *     plan
   * @throws IllegalStateException when these plans are closed
   */
  public RateLimiter limiter(@Nullable String plan) {
    PlanLimiter l = plan == null ? null : plans.get(plan);
    if (l == null) {
      unknown.increment();
      String fallback = defaultPlan;
      l = fallback == null ? null : plans.get(fallback);
      if (l == null) {
        throw new IllegalArgumentException("plan must be one of " + new java.util.TreeSet<>(plans.keySet())
            + " (there is no default plan) but was " + plan);
      }
    }
    if (closed) {
      throw new IllegalStateException("tenant policies " + name + " are closed");
    }
    return l;
  }

  /**
   * Defines the plan named {@code policy.name()}, or changes its limits: the next decision of this
   * instance under the plan uses them, on the counters as they are (see the class comment for
   * what a lower limit does to a counter above it). Counted in {@code
   * scaleblocks.ratelimit.plans.updates}. Call it on every instance.
   *
   * @throws IllegalArgumentException when {@code policy} has another algorithm or other periods
   *     than the plans (it would reinterpret their counters)
   * @throws IllegalStateException when {@code policy} would be a plan beyond {@link
   *     Builder#maxPlans(int)}, or these plans are closed
   * @throws RuntimeException what the template or its {@code build()} throws for {@code policy}
   *     (e.g. leasing more than a tenth of a lowered capacity); the plan keeps its policy then
   */
  public void update(RateLimitPolicy policy) {
    requireNonNull(policy, "policy");
    if (closed) {
      throw new IllegalStateException("tenant policies " + name + " are closed");
    }
    try {
      requireShape(policy);
    } catch (IllegalArgumentException e) {
      refusedShape.increment();
      throw e;
    }
    PlanLimiter l = plans.get(policy.name());
    if (l == null) {
      synchronized (plans) {
        l = plans.get(policy.name());
        if (l == null) {
          if (plans.size() >= maxPlans) {
            refusedMaxPlans.increment();
            throw new IllegalStateException("plans must be at most " + maxPlans + " (maxPlans of "
                + name + ") but plan " + policy.name() + " would be one more");
          }
          plans.put(policy.name(), new PlanLimiter(policy));
          updates(policy.name()).increment();
          return;
        }
      }
    }
    // limiters retired long enough are closed here, outside the plan's lock (closing stops threads
    // and closes connections)
    l.update(policy).forEach(RateLimiter::close);
    updates(policy.name()).increment();
  }

  /** Closes every plan's limiter and removes the meters. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    SharedPlans s = shared;
    if (s != null) {
      s.close();
    }
    RedisBackend backend = sharedBackend;
    if (backend != null) {
      backend.disconnect();
    }
    for (PlanLimiter l : plans.values()) {
      l.closeLimiter();
    }
    meters.close();
  }

  @Override
  public String toString() {
    return "TenantPolicies{" + name + ", " + plans.size() + " plans, max " + maxPlans + '}';
  }

  private Counter refused(String reason) {
    return meters.add(Counter.builder("scaleblocks.ratelimit.plans.refused")
        .tag("tenants", name)
        .tag("reason", reason)
        .description("plan definitions refused: beyond maxPlans, or of another algorithm or periods")
        .register(meters.registry()));
  }

  private Counter updates(String plan) {
    return meters.add(Counter.builder("scaleblocks.ratelimit.plans.updates")
        .tag("tenants", name)
        .tag("plan", plan)
        .description("plans defined or changed at runtime")
        .register(meters.registry()));
  }

  private void requireShape(RateLimitPolicy policy) {
    Shape s = Shape.of(policy);
    if (!s.equals(shape)) {
      throw new IllegalArgumentException("policy " + policy.name() + " must have the algorithm and "
          + "periods of the plans of " + name + " " + shape + " to share their counters, but has "
          + s + "; use another TenantPolicies for another algorithm or other periods");
    }
  }

  /** The map the local plan limiters share, made on first use with the first one's size. */
  private Cache<String, LocalCounterStore.Cell> cells(long maximumKeys) {
    Cache<String, LocalCounterStore.Cell> c = cells;
    if (c == null) {
      synchronized (plans) {
        c = cells;
        if (c == null) {
          c = LocalCounterStore.cells(maximumKeys, null);
          cells = c;
        }
      }
    }
    return c;
  }

  private DefaultRateLimiter build(RateLimitPolicy policy) {
    RateLimiterBuilder b = template.apply(policy);
    if (b == null || b.policy() != policy) {
      throw new IllegalStateException(
          "limiters must return RateLimiter.builder(policy) of the policy it is given, but gave "
              + (b == null ? "null" : "a builder of " + b.policy()) + " for " + policy.name());
    }
    return (DefaultRateLimiter) b.sharedKeySpace(prefix, this::cells, telemetry).build(); // its only kind
  }

  /** The algorithm and the periods of a policy: what its counters mean. */
  private record Shape(Algorithm algorithm, List<Duration> periods) {
    static Shape of(RateLimitPolicy p) {
      List<Duration> periods = new ArrayList<>(p.limits().size());
      for (Limit l : p.limits()) {
        periods.add(l.period());
      }
      return new Shape(p.algorithm(), List.copyOf(periods));
    }

    @Override
    public String toString() {
      return "(" + algorithm + ", periods " + periods + ")";
    }
  }

  /** How long a replaced limiter stays open for decisions that read it before the swap. */
  private static final long RETIREMENT_NANOS = TimeUnit.MINUTES.toNanos(1);

  /** A limiter an update replaced, and when (System.nanoTime). */
  private record Retired(DefaultRateLimiter limiter, long at) {}

  /**
   * A plan's limiter: the stable object users hold, over the limiter of the plan's current policy
   * (built on first use, rebuilt by an update). Thread-safe.
   */
  private final class PlanLimiter implements RateLimiter {
    private volatile RateLimitPolicy policy;
    private volatile @Nullable DefaultRateLimiter current;
    /** Limiters updates replaced, oldest first: still deciding for callers that read them before. */
    private final java.util.ArrayDeque<Retired> retired = new java.util.ArrayDeque<>();

    PlanLimiter(RateLimitPolicy policy) {
      this.policy = policy;
    }

    private RateLimiter current() {
      RateLimiter l = current;
      if (l == null) {
        synchronized (this) {
          l = current;
          if (l == null) {
            if (closed) {
              throw new IllegalStateException("tenant policies " + name + " are closed");
            }
            DefaultRateLimiter built = build(policy);
            current = built;
            l = built;
          }
        }
      }
      return l;
    }

    /** Updates the plan; returns the limiters retired long enough, for the caller to close. */
    synchronized List<DefaultRateLimiter> update(RateLimitPolicy p) {
      DefaultRateLimiter old = current;
      if (old == null) {
        policy = p;
        return List.of();
      }
      // the old limiter's meters carry the plan's name: given up before the new one claims it. Its
      // store stays open: callers that read it before the swap still decide there
      old.releaseMeters();
      DefaultRateLimiter next;
      try {
        next = build(p);
      } catch (RuntimeException | Error e) {
        // the template refused the new policy: the plan keeps the old one, on a fresh limiter
        next = build(policy);
        retire(old, next); // closed by a later update or close()
        throw e;
      }
      retire(old, next);
      policy = p;
      return expired();
    }

    /** Makes {@code next} current and retires {@code old}. */
    private void retire(DefaultRateLimiter old, DefaultRateLimiter next) {
      current = next;
      retired.addLast(new Retired(old, System.nanoTime()));
    }

    /**
     * Returns, and forgets, the limiters retired more than {@link #RETIREMENT_NANOS} ago (a
     * resource's lifetime, not a decision's time: the system clock), to be closed outside this
     * lock.
     */
    private List<DefaultRateLimiter> expired() {
      long now = System.nanoTime();
      List<DefaultRateLimiter> expired = new ArrayList<>(0);
      for (Retired r = retired.peekFirst(); r != null && now - r.at() > RETIREMENT_NANOS;
          r = retired.peekFirst()) {
        expired.add(retired.removeFirst().limiter());
      }
      return expired;
    }

    synchronized void closeLimiter() {
      RateLimiter l = current;
      if (l != null) {
        l.close();
      }
      for (Retired r : retired) {
        r.limiter().close();
      }
      retired.clear();
    }

    @Override
    public Decision tryAcquire(String key) {
      return current().tryAcquire(key);
    }

    @Override
    public Decision tryAcquire(String key, long permits) {
      return current().tryAcquire(key, permits);
    }

    @Override
    public boolean allow(String key) {
      return current().allow(key);
    }

    @Override
    public boolean allow(String key, long permits) {
      return current().allow(key, permits);
    }

    @Override
    public CompletableFuture<Decision> tryAcquireAsync(String key, long permits) {
      return current().tryAcquireAsync(key, permits);
    }

    @Override
    public Decision acquire(String key, long permits, Duration maxWait)
        throws InterruptedException {
      return current().acquire(key, permits, maxWait);
    }

    @Override
    public RateLimitPolicy policy() {
      return policy;
    }

    /** Does nothing: the plans' {@link TenantPolicies#close()} closes their limiters. */
    @Override
    public void close() {}

    @Override
    public String toString() {
      return "RateLimiter{plan " + policy + " of " + name + '}';
    }
  }

  /** Builds {@link TenantPolicies}. Each option may be set once ({@link #plan} once per plan). Not thread-safe. */
  public static final class Builder {
    private final String name;
    private final Map<String, RateLimitPolicy> plans = new LinkedHashMap<>();
    private @Nullable String defaultPlan;
    private int maxPlans = -1;
    private @Nullable Function<RateLimitPolicy, RateLimiterBuilder> template;
    private @Nullable Telemetry telemetry;
    private @Nullable Object planStore;

    private Builder(String name) {
      // the policy-name rules: it names Redis keys, threads and meters
      RateLimitPolicy.builder(name);
      this.name = name;
    }

    /** Defines the plan named {@code policy.name()}; the first plan's algorithm and periods are every plan's. */
    public Builder plan(RateLimitPolicy policy) {
      requireNonNull(policy, "policy");
      if (plans.putIfAbsent(policy.name(), policy) != null) {
        throw new IllegalStateException("plan " + policy.name() + " is already defined");
      }
      return this;
    }

    /** The plan of requests whose plan is unknown or null; none by default (they are refused). */
    public Builder defaultPlan(String plan) {
      requireUnset(defaultPlan != null, "defaultPlan", defaultPlan);
      this.defaultPlan = requireNonEmpty(plan, "defaultPlan");
      return this;
    }

    /** Most plans, from 1 to 1024; 32 by default. Each defined plan may hold a limiter. */
    public Builder maxPlans(int maxPlans) {
      requireUnset(this.maxPlans > 0, "maxPlans", this.maxPlans);
      this.maxPlans = (int) requireInRange(maxPlans, 1, MAX_PLANS_LIMIT, "maxPlans");
      return this;
    }

    /**
     * The template of the plans' limiters (required): given a plan's policy, returns {@code
     * RateLimiter.builder(policy)} with a store and options, not built. It is called on a plan's
     * first decision and again on each update of it. Leave {@code keyPrefix} unset (the plans
     * share {@code scaleblocks:rl:<name>:}) or make it the same for every plan; {@code telemetry}
     * defaults to {@link #telemetry(Telemetry)}'s.
     */
    public Builder limiters(Function<RateLimitPolicy, RateLimiterBuilder> template) {
      requireUnset(this.template != null, "limiters");
      this.template = requireNonNull(template, "limiters");
      return this;
    }

    /** Where the plans' meters go, and the plan limiters' unless the template sets its own; nowhere by default. */
    public Builder telemetry(Telemetry telemetry) {
      requireUnset(this.telemetry != null, "telemetry");
      this.telemetry = requireNonNull(telemetry, "telemetry");
      return this;
    }

    /**
     * Keeps the plans in this Redis (standalone, Sentinel or Cluster) so that every instance
     * learns a change: {@link TenantPolicies#publish} stores a plan and announces it; each
     * instance subscribes, applies what it hears within the pub/sub delay, and reads every plan
     * again on each (re)subscription. {@code build()} reads the stored plans, which override the
     * {@link #plan}s given here (those are the plans until someone publishes). Off by default:
     * then every instance is told by {@link TenantPolicies#update}. Costs one subscription
     * connection and one daemon thread.
     */
    public Builder planStore(UnifiedJedis jedis) {
      requireUnset(planStore != null, "planStore");
      this.planStore = requireNonNull(jedis, "jedis");
      return this;
    }

    /** As {@link #planStore(UnifiedJedis)} through Lettuce (an optional dependency), standalone. */
    public Builder lettucePlanStore(io.lettuce.core.RedisClient client) {
      requireUnset(planStore != null, "planStore");
      this.planStore = requireNonNull(client, "client");
      return this;
    }

    /** As {@link #planStore(UnifiedJedis)} through Lettuce, on a Redis Cluster. */
    public Builder lettucePlanStore(io.lettuce.core.cluster.RedisClusterClient client) {
      requireUnset(planStore != null, "planStore");
      this.planStore = requireNonNull(client, "client");
      return this;
    }

    /**
     * Builds the plans and the default plan's limiter (or the first plan's), so that a template
     * that cannot build fails here; the others are built on their first decision.
     *
     * @throws IllegalStateException when no plan or no template was given, or the default plan is
     *     not a plan, or more plans than {@code maxPlans} were given
     * @throws IllegalArgumentException when a plan has another algorithm or other periods than the
     *     first
     */
    public TenantPolicies build() {
      if (plans.isEmpty()) {
        throw new IllegalStateException("tenant policies " + name + " need at least one plan");
      }
      if (template == null) {
        throw new IllegalStateException("tenant policies " + name + " need limiters(template)");
      }
      int most = maxPlans > 0 ? maxPlans : DEFAULT_MAX_PLANS;
      if (plans.size() > most) {
        throw new IllegalStateException(
            "plans must be at most " + most + " (maxPlans) but were " + plans.size());
      }
      if (defaultPlan != null && !plans.containsKey(defaultPlan)) {
        throw new IllegalStateException("defaultPlan must be one of " + plans.keySet()
            + " but was " + defaultPlan);
      }
      TenantPolicies t = new TenantPolicies(this);
      try {
        SharedPlans s = t.shared;
        if (s != null) {
          try {
            s.loadAll();
          } catch (RuntimeException e) {
            // Redis away: the plans given here decide until the subscription reads the stored ones
            LoggerFactory.getLogger(TenantPolicies.class).warn("tenant policies {}: the stored "
                + "plans could not be read; read on subscription", t.name, e);
          }
          s.start();
        }
        String first = defaultPlan != null ? defaultPlan : plans.keySet().iterator().next();
        ((PlanLimiter) t.limiter(first)).current();
      } catch (RuntimeException | Error e) {
        t.close();
        throw e;
      }
      return t;
    }
  }
}
