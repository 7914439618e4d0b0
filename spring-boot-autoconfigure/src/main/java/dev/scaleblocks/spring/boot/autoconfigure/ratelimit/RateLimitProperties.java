package dev.scaleblocks.spring.boot.autoconfigure.ratelimit;

import dev.scaleblocks.spring.boot.autoconfigure.RouteProperties;
import dev.scaleblocks.ratelimit.Algorithm;
import dev.scaleblocks.ratelimit.FailurePolicy;
import dev.scaleblocks.ratelimit.http.HeaderStyle;
import dev.scaleblocks.ratelimit.http.ProxyHeader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code scaleblocks.ratelimit.*}: named policies, the routes that use them, whose quota a request
 * spends and which headers it gets. Mutable bean bound once at startup; not thread-safe.
 */
@ConfigurationProperties("scaleblocks.ratelimit")
public class RateLimitProperties {

  /** Whether the rate limiters and the HTTP filter are configured. */
  private boolean enabled = true;

  /** Policies by name (the name is the RateLimit-Policy item name and part of the Redis keys). */
  private Map<String, Policy> policies = new LinkedHashMap<>();

  /** Routes, each applying one or more policies to the requests it matches; all matching routes apply. */
  private List<Route> routes = new ArrayList<>();

  /** Whose quota a request spends. */
  private Key key = new Key();

  /** Which rate-limit headers responses carry. */
  private HeaderStyle headerStyle = HeaderStyle.IETF;

  /** Status of a rejected request: 429 or 503. */
  private int rejectionStatus = 429;

  /** Shadow (dry-run) mode for every route: headers and metrics as usual, nothing rejected. */
  private boolean shadow;

  /** Refunds: permits of admitted requests given back when the work did not happen. */
  private Refund refund = new Refund();

  public Refund getRefund() {
    return refund;
  }

  public void setRefund(Refund refund) {
    this.refund = refund;
  }

  /** Servlet filter order; the default runs after Spring Security's filter chain (-100), so principal keys work. */
  private int filterOrder = -90;

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public Map<String, Policy> getPolicies() {
    return policies;
  }

  public void setPolicies(Map<String, Policy> policies) {
    this.policies = policies;
  }

  public List<Route> getRoutes() {
    return routes;
  }

  public void setRoutes(List<Route> routes) {
    this.routes = routes;
  }

  public Key getKey() {
    return key;
  }

  public void setKey(Key key) {
    this.key = key;
  }

  public HeaderStyle getHeaderStyle() {
    return headerStyle;
  }

  public void setHeaderStyle(HeaderStyle headerStyle) {
    this.headerStyle = headerStyle;
  }

  public int getRejectionStatus() {
    return rejectionStatus;
  }

  public void setRejectionStatus(int rejectionStatus) {
    this.rejectionStatus = rejectionStatus;
  }

  public boolean isShadow() {
    return shadow;
  }

  public void setShadow(boolean shadow) {
    this.shadow = shadow;
  }

  public int getFilterOrder() {
    return filterOrder;
  }

  public void setFilterOrder(int filterOrder) {
    this.filterOrder = filterOrder;
  }

  /** Where a policy keeps its counters. */
  public enum StoreType {
    /** This JVM's memory: each instance counts alone. */
    LOCAL,
    /** Redis, through the application's Redis client: every instance shares the limit. */
    REDIS
  }

  /** One named policy. */
  public static class Policy {

    /** The limits, decided together (all or nothing), e.g. 10 per 1s and 1000 per 1h. */
    private List<LimitSpec> limits = new ArrayList<>();

    /** The algorithm. */
    private Algorithm algorithm = Algorithm.TOKEN_BUCKET;

    /** Where counters live. */
    private StoreType store = StoreType.LOCAL;

    /** Prefix of the Redis keys; scaleblocks:rl:&lt;policy&gt;: by default. */
    private @Nullable String keyPrefix;

    /** Longest wait for Redis before the failure policy decides (redis store). */
    private @Nullable Duration storeTimeout;

    /** What to decide while Redis does not answer (redis store). */
    private @Nullable FailurePolicy failurePolicy;

    /** How many instances share the limit: sizes the local share used by the failure policy (redis store). */
    private @Nullable Integer instances;

    /** Leasing: permits an instance takes from Redis at once and serves from memory (redis store); 0 is off. */
    private long leasePermits;

    /** Longest a lease is held; one second or the shortest period by default. */
    private @Nullable Duration leaseHold;

    /** Most keys held in memory. */
    private @Nullable Long maximumKeys;

    /** Shadow (dry-run) mode for this policy: decide and count, admit everything. */
    private boolean shadow;

    /**
     * With a Jedis client, the decisions of all threads at once ride one pipeline per Redis node on
     * the limiter's own connection (not with a Sentinel client; nothing changes with Lettuce).
     */
    private boolean coalesceRedisCalls;

    public boolean isCoalesceRedisCalls() {
      return coalesceRedisCalls;
    }

    public void setCoalesceRedisCalls(boolean coalesceRedisCalls) {
      this.coalesceRedisCalls = coalesceRedisCalls;
    }

    public List<LimitSpec> getLimits() {
      return limits;
    }

    public void setLimits(List<LimitSpec> limits) {
      this.limits = limits;
    }

    public Algorithm getAlgorithm() {
      return algorithm;
    }

    public void setAlgorithm(Algorithm algorithm) {
      this.algorithm = algorithm;
    }

    public StoreType getStore() {
      return store;
    }

    public void setStore(StoreType store) {
      this.store = store;
    }

    public @Nullable String getKeyPrefix() {
      return keyPrefix;
    }

    public void setKeyPrefix(@Nullable String keyPrefix) {
      this.keyPrefix = keyPrefix;
    }

    public @Nullable Duration getStoreTimeout() {
      return storeTimeout;
    }

    public void setStoreTimeout(@Nullable Duration storeTimeout) {
      this.storeTimeout = storeTimeout;
    }

    public @Nullable FailurePolicy getFailurePolicy() {
      return failurePolicy;
    }

    public void setFailurePolicy(@Nullable FailurePolicy failurePolicy) {
      this.failurePolicy = failurePolicy;
    }

    public @Nullable Integer getInstances() {
      return instances;
    }

    public void setInstances(@Nullable Integer instances) {
      this.instances = instances;
    }

    public long getLeasePermits() {
      return leasePermits;
    }

    public void setLeasePermits(long leasePermits) {
      this.leasePermits = leasePermits;
    }

    public @Nullable Duration getLeaseHold() {
      return leaseHold;
    }

    public void setLeaseHold(@Nullable Duration leaseHold) {
      this.leaseHold = leaseHold;
    }

    public @Nullable Long getMaximumKeys() {
      return maximumKeys;
    }

    public void setMaximumKeys(@Nullable Long maximumKeys) {
      this.maximumKeys = maximumKeys;
    }

    public boolean isShadow() {
      return shadow;
    }

    public void setShadow(boolean shadow) {
      this.shadow = shadow;
    }
  }

  /** One limit: {@code quota} permits per {@code period}, plus an optional burst. */
  public static class LimitSpec {

    /** Permits per period. */
    private long quota;

    /** The period, e.g. 1s, 1m, 1h. */
    private Duration period = Duration.ofSeconds(1);

    /** Extra permits token-bucket-like algorithms admit after a quiet spell. */
    private long burst;

    public long getQuota() {
      return quota;
    }

    public void setQuota(long quota) {
      this.quota = quota;
    }

    public Duration getPeriod() {
      return period;
    }

    public void setPeriod(Duration period) {
      this.period = period;
    }

    public long getBurst() {
      return burst;
    }

    public void setBurst(long burst) {
      this.burst = burst;
    }
  }

  /** A route: a path pattern, optional methods and the policies asked in order. */
  public static class Route extends RouteProperties {

    /** Names of the policies applied, asked in order; the first rejection stops the walk. */
    private List<String> policies = new ArrayList<>();

    public List<String> getPolicies() {
      return policies;
    }

    public void setPolicies(List<String> policies) {
      this.policies = policies;
    }

    /**
     * Throttling instead of refusing (nginx {@code limit_req burst=N}): requests over the rate
     * but within the queue wait their turn. Names exactly one policy.
     */
    private @Nullable Throttling throttle;

    public @Nullable Throttling getThrottle() {
      return throttle;
    }

    public void setThrottle(@Nullable Throttling throttle) {
      this.throttle = throttle;
    }
  }

  /** A route's throttle: its queue per key, the longest wait, and nginx's {@code nodelay}. */
  public static class Throttling {

    /** Requests that may wait per key beyond the rate; more are refused at once. */
    private int queueCapacity = 10;

    /** The longest a request waits for its turn; it is refused after that. */
    private Duration maxDelay = Duration.ofSeconds(5);

    /** Distinct keys that may have requests waiting at once; the default is the throttle's own. */
    private @Nullable Integer maxKeys;

    /** Pass a burst as large as the queue at once and pay it back as the rate refills (nginx nodelay). */
    private boolean nodelay;

    public int getQueueCapacity() {
      return queueCapacity;
    }

    public void setQueueCapacity(int queueCapacity) {
      this.queueCapacity = queueCapacity;
    }

    public Duration getMaxDelay() {
      return maxDelay;
    }

    public void setMaxDelay(Duration maxDelay) {
      this.maxDelay = maxDelay;
    }

    public @Nullable Integer getMaxKeys() {
      return maxKeys;
    }

    public void setMaxKeys(@Nullable Integer maxKeys) {
      this.maxKeys = maxKeys;
    }

    public boolean isNodelay() {
      return nodelay;
    }

    public void setNodelay(boolean nodelay) {
      this.nodelay = nodelay;
    }
  }

  /** When an admitted request's permits are given back (off unless set). */
  public static class Refund {

    /** Give back the permits of a request answered with a 5xx status (the upstream failed). */
    private boolean serverErrors;

    /** Further statuses whose requests give their permits back, e.g. 408 or 429 from upstream. */
    private List<Integer> statuses = new ArrayList<>();

    /** Give back the permits of a request whose client went away before the response. */
    private boolean cancelled;

    public boolean isServerErrors() {
      return serverErrors;
    }

    public void setServerErrors(boolean serverErrors) {
      this.serverErrors = serverErrors;
    }

    public List<Integer> getStatuses() {
      return statuses;
    }

    public void setStatuses(List<Integer> statuses) {
      this.statuses = statuses;
    }

    public boolean isCancelled() {
      return cancelled;
    }

    public void setCancelled(boolean cancelled) {
      this.cancelled = cancelled;
    }
  }

  /** What identifies a client. */
  public enum KeyType {
    /** The client IP (the TCP peer, or the forwarded address when the peer is a trusted proxy). */
    CLIENT_IP,
    /** The value of a request header (e.g. a tenant id). */
    HEADER,
    /** An API key from a request header, hashed so that secrets never reach the store. */
    API_KEY,
    /** The authenticated principal's name; anonymous requests fall back to the client IP. */
    PRINCIPAL
  }

  /** Key resolution. */
  public static class Key {

    /** What identifies a client. */
    private KeyType type = KeyType.CLIENT_IP;

    /** The header read by HEADER and API_KEY. */
    private String header = "X-Api-Key";

    /** Trusted proxies (addresses or CIDRs) whose forwarding header is believed; none by default. */
    private List<String> trustedProxies = new ArrayList<>();

    /** The header trusted proxies append to. */
    private ProxyHeader proxyHeader = ProxyHeader.X_FORWARDED_FOR;

    /** IPv6 clients are grouped by this network size. */
    private int ipv6PrefixLength = 64;

    public KeyType getType() {
      return type;
    }

    public void setType(KeyType type) {
      this.type = type;
    }

    public String getHeader() {
      return header;
    }

    public void setHeader(String header) {
      this.header = header;
    }

    public List<String> getTrustedProxies() {
      return trustedProxies;
    }

    public void setTrustedProxies(List<String> trustedProxies) {
      this.trustedProxies = trustedProxies;
    }

    public ProxyHeader getProxyHeader() {
      return proxyHeader;
    }

    public void setProxyHeader(ProxyHeader proxyHeader) {
      this.proxyHeader = proxyHeader;
    }

    public int getIpv6PrefixLength() {
      return ipv6PrefixLength;
    }

    public void setIpv6PrefixLength(int ipv6PrefixLength) {
      this.ipv6PrefixLength = ipv6PrefixLength;
    }
  }
}
