package dev.scaleblocks.ratelimit.http;

import static dev.scaleblocks.core.internal.Checks.requireArgument;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;
import static dev.scaleblocks.core.internal.Checks.requireUnset;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.http.HttpRequestView;
import dev.scaleblocks.core.http.RequestMatcher;
import dev.scaleblocks.ratelimit.Decision;
import dev.scaleblocks.ratelimit.RateLimitPolicy;
import dev.scaleblocks.ratelimit.RateLimiter;
import dev.scaleblocks.ratelimit.TenantPolicies;
import dev.scaleblocks.ratelimit.throttle.Throttle;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.IntPredicate;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP rate limiting, shared by {@code RateLimitFilter} (servlet) and {@code RateLimitHandler}
 * (Netty): which limiters apply to a request (routes), whose quota it spends ({@link KeyResolver}),
 * which requests are skipped, the headers, the rejection status, and shadow mode.
 *
 * <p>Every route whose {@link RequestMatcher} matches applies (a global {@code /**} route and a
 * stricter {@code POST /login} route both count). Their limiters are asked in order, one permit
 * each; the first rejection stops the walk (later limiters are not charged) and rejects the
 * request with {@code 429} (or {@code 503}) and an {@code application/problem+json} body. In
 * shadow mode the headers and metrics are the same but nothing is rejected.
 *
 * <p>A limiter that throws or fails is logged and the request proceeds (fail open): a limiter's
 * own store-failure policy (fail open, fail closed, local fallback) is where availability is
 * decided, and it returns a decision instead of throwing.
 *
 * <p>Refunds (off by default): with {@link Builder#refundWhen} and {@link
 * Builder#refundCancelled}, an admitted request whose response has a matching status (say {@link
 * #serverErrors()}: the upstream failed) or that was cancelled before its response gives its
 * permits back to every limiter that admitted it ({@link RateLimiter#refundAsync}); the adapters
 * report how each request ended through {@link Outcome#complete(int)} and {@link
 * Outcome#cancelled()}.
 *
 * <p>Metrics: counter {@value #METRIC} tagged {@code policy} and {@code result} ({@code allowed},
 * {@code rejected}, {@code shadow_rejected}, {@code error}); requests skipped or without a key
 * count under {@code policy=none}, {@code result=skipped}.
 *
 * <p>Thread-safe; its configuration is immutable. Cost per request: one matcher pass per route, one
 * key resolution, one limiter call per applicable limiter, and the {@code RateLimit} item string;
 * the {@code RateLimit-Policy} value of each limiter is formatted once (again only if the limiter
 * answers with another policy), and each counter is registered once, on its first use, and kept.
 */
public final class HttpRateLimit {

  /** The request counter. */
  public static final String METRIC = "scaleblocks.ratelimit.http.requests";

  private static final Logger log = LoggerFactory.getLogger(HttpRateLimit.class);

  private final List<Route> routes;
  private final KeyResolver keyResolver;
  private final Predicate<HttpRequestView> skip;
  private final HeaderStyle headerStyle;
  private final int rejectionStatus;
  private final boolean shadow;
  private final Clock clock;
  private final MeterRegistry registry;
  private final @Nullable IntPredicate refundWhen;
  private final boolean refundCancelled;
  /** The {@code policy=none} counters, by {@link Result}, registered on first use. */
  private final AtomicReferenceArray<@Nullable Counter> noneCounters =
      new AtomicReferenceArray<>(Result.values().length);

  private HttpRateLimit(Builder b) {
    List<Route> rs = new ArrayList<>(b.routes.size());
    for (Map.Entry<RequestMatcher, List<Object>> r : b.routes) {
      if (r.getValue().get(0) instanceof PlanEntry plans) {
        rs.add(new Route(r.getKey(), List.of(), new PlanRoute(plans.tenants, plans.resolver)));
        continue;
      }
      List<Limited> limited = new ArrayList<>(r.getValue().size());
      for (Object l : r.getValue()) {
        limited.add(l instanceof Throttle t ? new Limited(t.limiter(), t) : new Limited((RateLimiter) l, null));
      }
      rs.add(new Route(r.getKey(), List.copyOf(limited), null));
    }
    this.routes = List.copyOf(rs);
    this.keyResolver = b.keyResolver;
    this.skip = b.skip;
    this.headerStyle = b.headerStyle;
    this.rejectionStatus = b.rejectionStatus;
    this.shadow = b.shadow;
    this.clock = b.clock;
    this.registry = b.telemetry.meterRegistry();
    this.refundWhen = b.refundWhen;
    this.refundCancelled = b.refundCancelled;
  }

  /** Statuses 500 to 599: the upstream failed, so the work the permit paid for did not happen. */
  public static IntPredicate serverErrors() {
    return status -> status >= 500 && status <= 599;
  }

  /** Whether admitted requests may be refunded: a refund status or cancellation was configured. */
  public boolean refunds() {
    return refundWhen != null || refundCancelled;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The header style. */
  public HeaderStyle headerStyle() {
    return headerStyle;
  }

  /**
   * What to do with {@code request}, decided up front without waiting: null when no limiter
   * applies (skipped, no route, or no key), else a pending evaluation to {@link Pending#decide()}
   * or {@link Pending#decideAsync()}. Never throws on malformed requests.
   */
  public @Nullable Pending prepare(HttpRequestView request) {
    List<Limited> limiters = null;
    try {
      if (skip.test(request)) {
        countNone(Result.SKIPPED);
        return null;
      }
      String method = request.method();
      String path = request.path();
      boolean copied = false;
      for (Route route : routes) {
        if (route.matcher.matches(method, path)) {
          PlanRoute plans = route.plans;
          List<Limited> matched = plans == null ? route.limiters : plans.limiters(request);
          if (limiters == null) {
            limiters = matched; // immutable: shared until a second route matches
          } else {
            if (!copied) {
              limiters = new ArrayList<>(limiters);
              copied = true;
            }
            limiters.addAll(matched);
          }
        }
      }
      if (limiters == null) {
        return null;
      }
      String key = keyResolver.resolve(request);
      if (key == null) {
        countNone(Result.SKIPPED);
        return null;
      }
      return new Pending(key, limiters);
    } catch (RuntimeException e) {
      log.warn("rate limit key resolution failed; request not limited", e);
      countNone(Result.ERROR);
      return null;
    }
  }

  private void countNone(Result result) {
    count(noneCounters, "none", result);
  }

  private void count(AtomicReferenceArray<@Nullable Counter> counters, String policy, Result result) {
    Counter counter = counters.get(result.slot);
    if (counter == null) {
      // registering twice at once is harmless: the registry gives both the same counter
      counter = Counter.builder(METRIC)
          .description("HTTP requests seen by the rate limiter")
          .tags("policy", policy, "result", result.tag)
          .register(registry);
      counters.set(result.slot, counter);
    }
    counter.increment();
  }

  /** The {@code result} tag values. */
  private enum Result {
    ALLOWED(0, "allowed"), REJECTED(1, "rejected"), SHADOW_REJECTED(2, "shadow_rejected"), ERROR(3, "error"),
    SKIPPED(4, "skipped");

    /** Where its counter is kept in a counter array. */
    final int slot;
    final String tag;

    Result(int slot, String tag) {
      this.slot = slot;
      this.tag = tag;
    }
  }

  /**
   * A limiter of a route, with what is the same for all its requests: the header text of its policy
   * and its counters. Thread-safe.
   */
  private final class Limited {
    final RateLimiter limiter;
    /** The throttle in front of {@link #limiter} on a throttled route, else null. */
    final @Nullable Throttle throttle;
    /** Counters of the policy name they were registered under, by {@link Result}. */
    private volatile Counters counters;
    private volatile Formats formats;

    Limited(RateLimiter limiter, @Nullable Throttle throttle) {
      this.limiter = limiter;
      this.throttle = throttle;
      RateLimitPolicy policy = limiter.policy();
      this.counters = new Counters(policy.name());
      this.formats = new Formats(policy);
    }

    /** The formats of the policy the limiter enforces now (formatted again if it changed). */
    Formats formats() {
      Formats f = formats;
      RateLimitPolicy policy = limiter.policy();
      if (f.policy != policy) {
        f = new Formats(policy);
        formats = f;
      }
      return f;
    }

    void count(Result result) {
      Counters c = counters;
      String name = limiter.policy().name();
      if (!c.policy.equals(name)) {
        c = new Counters(name);
        counters = c;
      }
      HttpRateLimit.this.count(c.byResult, name, result);
    }
  }

  private static final class Counters {
    final String policy;
    final AtomicReferenceArray<@Nullable Counter> byResult = new AtomicReferenceArray<>(Result.values().length);

    Counters(String policy) {
      this.policy = policy;
    }
  }

  /** The header text of one policy, formatted once. Immutable. */
  private static final class Formats {
    final RateLimitPolicy policy;
    final String policyItems;
    /** Per limit of the policy, the start of its {@code RateLimit} item: {@code "name";r=}. */
    final String[] itemStarts;

    Formats(RateLimitPolicy policy) {
      this.policy = policy;
      this.policyItems = RateLimitHeaders.policyItems(policy);
      this.itemStarts = new String[policy.limits().size()];
      for (int i = 0; i < itemStarts.length; i++) {
        itemStarts[i] = RateLimitHeaders.itemStart(policy, i);
      }
    }
  }

  /** A request with a key and the limiters that apply to it. Not thread-safe; use once. */
  public final class Pending {
    private final String key;
    private final List<Limited> limiters;

    private Pending(String key, List<Limited> limiters) {
      this.key = key;
      this.limiters = limiters;
    }

    /** The rate-limit key. */
    public String key() {
      return key;
    }

    /**
     * Decides on the calling thread: it may wait for a remote store and, on a throttled route, for
     * the request's turn (up to the throttle's {@code maxDelay}).
     */
    public Outcome decide() {
      List<Decided> decided = new ArrayList<>(limiters.size());
      for (Limited limited : limiters) {
        Decision d;
        try {
          Throttle throttle = limited.throttle;
          d = throttle != null ? throttle.acquire(key, 1).join() : limited.limiter.tryAcquire(key, 1);
        } catch (RuntimeException e) {
          log.warn("rate limiter {} failed; request allowed", limited.limiter.policy().name(), e);
          limited.count(Result.ERROR);
          continue;
        }
        decided.add(new Decided(limited, d));
        if (!d.allowed()) {
          break;
        }
      }
      return outcome(decided);
    }

    /**
     * Decides without blocking the calling thread: each limiter's {@link
     * RateLimiter#tryAcquireAsync} in turn. The future completes on whatever thread the last
     * limiter completes on; it never completes exceptionally.
     */
    public CompletableFuture<Outcome> decideAsync() {
      return step(0, new ArrayList<>(limiters.size()));
    }

    /**
     * Asks the limiters from {@code index} on. Decisions already made (a local limiter's) are taken
     * as they are, without a dependent stage; the walk goes on in a callback from the first one
     * still pending or failed.
     */
    private CompletableFuture<Outcome> step(int index, List<Decided> decided) {
      for (int i = index; i < limiters.size(); i++) {
        Limited limited = limiters.get(i);
        CompletableFuture<Decision> future;
        try {
          Throttle throttle = limited.throttle;
          future = throttle != null ? throttle.acquire(key, 1) : limited.limiter.tryAcquireAsync(key, 1);
        } catch (RuntimeException e) {
          future = CompletableFuture.failedFuture(e);
        }
        Decision now = future.isDone() && !future.isCompletedExceptionally() ? future.getNow(null) : null;
        if (now == null) {
          int next = i + 1;
          return future
              .handle((d, e) -> accept(limited, d, e, decided))
              .thenCompose(go -> go ? step(next, decided) : CompletableFuture.completedFuture(outcome(decided)));
        }
        if (!accept(limited, now, null, decided)) {
          break;
        }
      }
      return CompletableFuture.completedFuture(outcome(decided));
    }

    /** Records one limiter's answer; whether the next limiter is to be asked. */
    private boolean accept(Limited limited, @Nullable Decision d, @Nullable Throwable e, List<Decided> decided) {
      if (e != null || d == null) {
        log.warn("rate limiter {} failed; request allowed", limited.limiter.policy().name(), e);
        limited.count(Result.ERROR);
        return true;
      }
      decided.add(new Decided(limited, d));
      return d.allowed();
    }
  }

  private record Decided(Limited limited, Decision decision) {}

  private Outcome outcome(List<Decided> decided) {
    Decision rejectedBy = null;
    Decision binding = null;
    String policies = "";
    StringBuilder items = null;
    for (Decided d : decided) {
      Decision decision = d.decision;
      boolean wouldReject = !decision.allowed() || decision.shadowRejected();
      if (!decision.allowed() && !shadow) {
        rejectedBy = decision;
        d.limited.count(Result.REJECTED);
      } else {
        d.limited.count(wouldReject ? Result.SHADOW_REJECTED : Result.ALLOWED);
      }
      boolean bindingRejects = binding != null && (!binding.allowed() || binding.shadowRejected());
      if (binding == null || (!bindingRejects && (wouldReject || decision.remaining() < binding.remaining()))) {
        binding = decision;
      }
      Formats formats = d.limited.formats();
      if (items == null) {
        policies = formats.policyItems;
        items = new StringBuilder(48);
      } else {
        policies = policies + ", " + formats.policyItems;
        items.append(", ");
      }
      RateLimitHeaders.appendRateLimitItem(items, formats.policy, formats.itemStarts, decision);
    }
    if (binding == null || items == null) {
      return new Outcome(false, 200, List.of(), "", refund(decided));
    }
    if (rejectedBy == null && headerStyle == HeaderStyle.IETF) {
      return new Outcome(false, 200, List.of(
          Map.entry(RateLimitHeaders.POLICY, policies),
          Map.entry(RateLimitHeaders.RATELIMIT, items.toString())), "", refund(decided));
    }
    List<Map.Entry<String, String>> headers = new ArrayList<>(7);
    if (headerStyle == HeaderStyle.IETF || headerStyle == HeaderStyle.IETF_AND_LEGACY) {
      headers.add(Map.entry(RateLimitHeaders.POLICY, policies));
      headers.add(Map.entry(RateLimitHeaders.RATELIMIT, items.toString()));
    }
    if (headerStyle == HeaderStyle.LEGACY || headerStyle == HeaderStyle.IETF_AND_LEGACY) {
      java.time.Instant now = clock.instant();
      headers.add(Map.entry("X-RateLimit-Limit", Long.toString(binding.limit())));
      headers.add(Map.entry("X-RateLimit-Remaining", Long.toString(binding.remaining())));
      headers.add(Map.entry("X-RateLimit-Reset", Long.toString(RateLimitHeaders.resetEpochSeconds(now, binding))));
      headers.add(Map.entry("Date", RateLimitHeaders.httpDate(now)));
    }
    if (rejectedBy != null) {
      // never before the t of an item with nothing left: that quota is needed too (draft-10 §6)
      long retryAfter = RateLimitHeaders.retryAfterSeconds(rejectedBy);
      for (Decided d : decided) {
        if (d.decision.remaining() == 0) {
          retryAfter = Math.max(retryAfter, RateLimitHeaders.ceilSeconds(d.decision.resetAfter()));
        }
      }
      headers.add(Map.entry("Retry-After", Long.toString(retryAfter)));
      return new Outcome(true, rejectionStatus, List.copyOf(headers),
          RateLimitHeaders.problemJson(rejectionStatus, rejectedBy, retryAfter), null);
    }
    return new Outcome(false, 200, List.copyOf(headers), "", refund(decided));
  }

  /** What an admitted request may give back, or null when refunds are off or nothing was taken. */
  private @Nullable Refund refund(List<Decided> decided) {
    if (!refunds() || decided.isEmpty()) {
      return null;
    }
    List<Map.Entry<RateLimiter, Decision>> taken = new ArrayList<>(decided.size());
    for (Decided d : decided) {
      taken.add(Map.entry(d.limited.limiter, d.decision));
    }
    return new Refund(taken, refundWhen, refundCancelled);
  }

  /**
   * The admissions of one request and when to give them back; settled once, by the first report of
   * how the request ended. Thread-safe.
   */
  private static final class Refund extends AtomicBoolean {
    private static final long serialVersionUID = 1L;

    private final transient List<Map.Entry<RateLimiter, Decision>> taken;
    private final transient @Nullable IntPredicate when;
    private final boolean cancelled;

    Refund(List<Map.Entry<RateLimiter, Decision>> taken, @Nullable IntPredicate when,
        boolean cancelled) {
      this.taken = taken;
      this.when = when;
      this.cancelled = cancelled;
    }

    CompletableFuture<Boolean> settle(boolean wasCancelled, int status) {
      if (get() || !compareAndSet(false, true)) {
        return CompletableFuture.completedFuture(false);
      }
      IntPredicate w = when;
      boolean give = wasCancelled ? cancelled : w != null && w.test(status);
      if (!give) {
        return CompletableFuture.completedFuture(false);
      }
      CompletableFuture<Boolean> any = CompletableFuture.completedFuture(false);
      for (Map.Entry<RateLimiter, Decision> t : taken) {
        CompletableFuture<Boolean> one;
        try {
          one = t.getKey().refundAsync(t.getValue());
        } catch (RuntimeException e) {
          log.warn("rate limiter {} failed to refund; quota stays spent",
              t.getKey().policy().name(), e);
          one = CompletableFuture.completedFuture(false);
        }
        any = any.thenCombine(one, (a, b) -> a || b);
      }
      return any;
    }
  }

  /**
   * The result for one request: the headers to add to the response and, when {@link #rejected()},
   * the status and problem body to answer with instead of the application. Immutable.
   */
  public static final class Outcome {
    private final boolean rejected;
    private final int status;
    private final List<Map.Entry<String, String>> headers;
    private final String body;
    private final @Nullable Refund refund;

    Outcome(boolean rejected, int status, List<Map.Entry<String, String>> headers, String body,
        @Nullable Refund refund) {
      this.rejected = rejected;
      this.status = status;
      this.headers = headers;
      this.body = body;
      this.refund = refund;
    }

    /**
     * Reports that the admitted request was answered with {@code status}: its permits go back to
     * the limiters that admitted it when the status is one the refund predicate ({@link
     * Builder#refundWhen}) matches. The first report of how the request ended settles it (later
     * ones, such as a connection closing after the response, give nothing back). Never blocks; the
     * future tells whether anything was given back and never completes exceptionally.
     */
    public CompletableFuture<Boolean> complete(int status) {
      Refund r = refund;
      return r == null ? CompletableFuture.completedFuture(false) : r.settle(false, status);
    }

    /**
     * Reports that the admitted request was cancelled or aborted before its response (the client
     * went away, the application failed to answer): its permits go back when {@link
     * Builder#refundCancelled} is on. Settles the request as {@link #complete(int)} does.
     */
    public CompletableFuture<Boolean> cancelled() {
      Refund r = refund;
      return r == null ? CompletableFuture.completedFuture(false) : r.settle(true, 0);
    }

    /** Whether the request must be answered with {@link #status()} and {@link #problemBody()}. */
    public boolean rejected() {
      return rejected;
    }

    /** The rejection status (429 or 503); 200 when allowed. */
    public int status() {
      return status;
    }

    /** Headers to set on the response, in order. */
    public List<Map.Entry<String, String>> headers() {
      return headers;
    }

    /** The {@code application/problem+json} body of a rejection; empty when allowed. */
    public String problemBody() {
      return body;
    }
  }

  /** Limiters, or for a route of plans, the plans that give a request its limiter. */
  private record Route(RequestMatcher matcher, List<Limited> limiters, @Nullable PlanRoute plans) {}

  /**
   * A route of plans: the limiter of each request's plan. Its {@link Limited} per plan limiter is
   * made once and kept (the plans' limiters are one object per plan, so at most {@code maxPlans}).
   */
  private final class PlanRoute {
    private final TenantPolicies tenants;
    private final PlanResolver resolver;
    private final Map<RateLimiter, List<Limited>> byLimiter = new ConcurrentHashMap<>();

    PlanRoute(TenantPolicies tenants, PlanResolver resolver) {
      this.tenants = tenants;
      this.resolver = resolver;
    }

    /** The limiter of {@code request}'s plan, or none when its plan is unknown and there is no default. */
    List<Limited> limiters(HttpRequestView request) {
      String plan;
      try {
        plan = resolver.plan(request);
      } catch (RuntimeException e) {
        log.debug("plan resolution failed; the default plan applies", e);
        plan = null;
      }
      RateLimiter limiter;
      try {
        limiter = tenants.limiter(plan);
      } catch (RuntimeException e) {
        log.debug("no plan of {} for this request; not limited by its route: {}", tenants.name(),
            e.getMessage());
        countNone(Result.ERROR);
        return List.of();
      }
      return byLimiter.computeIfAbsent(limiter, l -> List.of(new Limited(l, null)));
    }
  }

  /** A route of plans as the builder holds it. */
  private record PlanEntry(TenantPolicies tenants, PlanResolver resolver) {}

  /** Builds an {@link HttpRateLimit}. Not thread-safe. */
  public static final class Builder {
    /** The options given so far: each may be given once. */
    private final java.util.Set<String> given = new java.util.HashSet<>();
    /** Per route, its limiters and throttles in order. */
    private final List<Map.Entry<RequestMatcher, List<Object>>> routes = new ArrayList<>();
    private KeyResolver keyResolver = KeyResolver.clientIp();
    private Predicate<HttpRequestView> skip = r -> false;
    private HeaderStyle headerStyle = HeaderStyle.IETF;
    private int rejectionStatus = 429;
    private boolean shadow;
    private Clock clock = Clock.systemUTC();
    private Telemetry telemetry = Telemetry.none();
    private @Nullable IntPredicate refundWhen;
    private boolean refundCancelled;

    private Builder() {}

    /** Limits requests matching {@code matcher} with {@code limiters}, asked in order. */
    public Builder route(RequestMatcher matcher, RateLimiter... limiters) {
      requireNonNull(matcher, "matcher");
      requireNonNull(limiters, "limiters");
      requireArgument(limiters.length > 0, "limiters must not be empty");
      for (RateLimiter l : limiters) {
        requireNonNull(l, "limiter");
      }
      routes.add(Map.entry(matcher, List.of((Object[]) limiters)));
      return this;
    }

    /**
     * Throttles requests matching {@code matcher} with {@code throttle}: a request over the rate
     * but within the throttle's queue waits its turn instead of being refused (nginx {@code
     * limit_req burst=N}), and is refused (429 with the usual headers) when the queue is full or
     * its wait would pass {@code maxDelay}. The headers are those of the throttle's limiter. The
     * Netty handler and {@link Pending#decideAsync()} wait without a thread; the servlet filter
     * ({@link Pending#decide()}) waits on the request thread, up to {@code maxDelay}.
     */
    public Builder route(RequestMatcher matcher, Throttle throttle) {
      requireNonNull(matcher, "matcher");
      routes.add(Map.entry(matcher, List.of(requireNonNull(throttle, "throttle"))));
      return this;
    }

    /**
     * Limits requests matching {@code matcher} by their tenant's plan: {@code resolver} names the
     * plan of a request, and the plan's limiter of {@code tenants} decides (its policy in the
     * headers), under the request's key as for any route. A request whose plan is null or unknown
     * gets the plans' default plan; without one, it is not limited by this route and is counted
     * as an {@code error} under {@code policy=none}. Metrics are tagged {@code policy=<plan>}.
     */
    public Builder route(RequestMatcher matcher, TenantPolicies tenants, PlanResolver resolver) {
      requireNonNull(matcher, "matcher");
      routes.add(Map.entry(matcher, List.of(new PlanEntry(requireNonNull(tenants, "tenants"),
          requireNonNull(resolver, "resolver")))));
      return this;
    }

    /** Whose quota a request spends; {@link KeyResolver#clientIp()} (the TCP peer) by default. */
    public Builder keyResolver(KeyResolver resolver) {
      requireUnset(!given.add("keyResolver"), "keyResolver");
      this.keyResolver = requireNonNull(resolver, "keyResolver");
      return this;
    }

    /** Requests never limited (health checks, internal callers); none by default. */
    public Builder skip(Predicate<HttpRequestView> skip) {
      requireUnset(!given.add("skip"), "skip");
      this.skip = requireNonNull(skip, "skip");
      return this;
    }

    /** The headers sent; {@link HeaderStyle#IETF} by default. */
    public Builder headerStyle(HeaderStyle style) {
      requireUnset(!given.add("headerStyle"), "headerStyle", headerStyle);
      this.headerStyle = requireNonNull(style, "headerStyle");
      return this;
    }

    /** 429 (default) or 503. */
    public Builder rejectionStatus(int status) {
      requireUnset(!given.add("rejectionStatus"), "rejectionStatus", rejectionStatus);
      requireArgument(status == 429 || status == 503, "rejectionStatus must be 429 or 503 but was %s", status);
      this.rejectionStatus = status;
      return this;
    }

    /** Shadow (dry-run) mode: headers and metrics as usual, but nothing is rejected. Off by default. */
    public Builder shadow(boolean shadow) {
      requireUnset(!given.add("shadow"), "shadow", shadow);
      this.shadow = shadow;
      return this;
    }

    /** The wall clock for {@code X-RateLimit-Reset} and {@code Date}; UTC system clock by default. */
    public Builder clock(Clock clock) {
      requireUnset(!given.add("clock"), "clock", clock);
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    /** Where the request counter goes; {@link Telemetry#none()} by default. */
    public Builder telemetry(Telemetry telemetry) {
      requireUnset(!given.add("telemetry"), "telemetry");
      this.telemetry = requireNonNull(telemetry, "telemetry");
      return this;
    }

    /**
     * Gives an admitted request's permits back when its response status matches {@code statuses}
     * (say {@link HttpRateLimit#serverErrors()}: the upstream failed, so the work was not done),
     * like express-rate-limit's {@code skipFailedRequests}. The servlet filter reports the status
     * after the chain (for an async request, when it completes), the Netty handler the status of the
     * response written. Never by default: a failed request spends its permit.
     */
    public Builder refundWhen(IntPredicate statuses) {
      requireUnset(!given.add("refundWhen"), "refundWhen");
      this.refundWhen = requireNonNull(statuses, "refundWhen");
      return this;
    }

    /**
     * Gives an admitted request's permits back when it is cancelled or aborted before its response
     * is written: the client closed the connection (Netty) or the chain failed with an {@code
     * IOException} (servlet). Off by default.
     */
    public Builder refundCancelled(boolean refund) {
      requireUnset(!given.add("refundCancelled"), "refundCancelled", refundCancelled);
      this.refundCancelled = refund;
      return this;
    }

    public HttpRateLimit build() {
      if (routes.isEmpty()) {
        throw new IllegalStateException("at least one route is needed");
      }
      return new HttpRateLimit(this);
    }
  }
}
