package dev.scaleblocks.spring.boot.autoconfigure.cache;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code scaleblocks.cache.*}: the caches of the {@code CacheManager}, each a {@code TieredCache}.
 * An option left unset on a cache takes its value from {@code defaults}, then the builder's default.
 * Mutable bean bound once at startup; not thread-safe.
 */
@ConfigurationProperties("scaleblocks.cache")
public class TieredCacheProperties {

  /** Whether the scaleblocks CacheManager is configured (it backs off when the application declares one). */
  private boolean enabled = true;

  /** Prefix of every cache's Redis keys, before the cache name: keys are &lt;key-prefix&gt;&lt;cache&gt;:&lt;key&gt;. */
  private String keyPrefix = "";

  /** Whether a cache name not listed under caches is created on first use, with the defaults. */
  private boolean dynamic = true;

  /** Options every cache starts from. */
  private Spec defaults = new Spec();

  /** Caches by name, created at startup. */
  private Map<String, Spec> caches = new LinkedHashMap<>();

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public String getKeyPrefix() {
    return keyPrefix;
  }

  public void setKeyPrefix(String keyPrefix) {
    this.keyPrefix = keyPrefix;
  }

  public boolean isDynamic() {
    return dynamic;
  }

  public void setDynamic(boolean dynamic) {
    this.dynamic = dynamic;
  }

  public Spec getDefaults() {
    return defaults;
  }

  public void setDefaults(Spec defaults) {
    this.defaults = defaults;
  }

  public Map<String, Spec> getCaches() {
    return caches;
  }

  public void setCaches(Map<String, Spec> caches) {
    this.caches = caches;
  }

  /** One cache's options; null means "as the defaults". */
  public static class Spec {

    /** How long a value stays in this instance's memory (L1); 1 minute by default. */
    private @Nullable Duration l1Ttl;

    /** How long a value stays in Redis (L2); 1 hour by default. */
    private @Nullable Duration l2Ttl;

    /** Most entries in L1; 10 000 by default. */
    private @Nullable Long maximumSize;

    /** Random shortening of each entry's TTLs, in [0, 1); 0.1 by default. */
    private @Nullable Double ttlJitter;

    /** How long a null result of a @Cacheable(sync = true) method is remembered; 30 s by default. */
    private @Nullable Duration negativeTtl;

    /** Fraction of the TTL after which a hit starts a background reload; off by default. */
    private @Nullable Double refreshAhead;

    /** How much longer expired values are kept and served when the loader throws; off by default. */
    private @Nullable Duration staleIfError;

    /** Cluster-wide load lease: one instance loads a missing key, the others wait for it; off by default. */
    private @Nullable Duration clusterLease;

    /** Longest a cache call waits for Redis; 500 ms by default. */
    private @Nullable Duration l2Timeout;

    /** Whether the cache uses Redis as its L2 when the application has a Redis client; true by default. */
    private @Nullable Boolean l2;

    /** The class values are stored as in Redis (JSON through Jackson); required with an L2 unless a CacheValueCodecs bean answers. */
    private @Nullable Class<?> valueType;

    /**
     * With a Jedis client, the L2 calls of all threads at once ride one pipeline per Redis node on
     * the cache's own connection (not with a Sentinel client; nothing changes with Lettuce).
     */
    private @Nullable Boolean coalesceRedisCalls;

    public @Nullable Boolean getCoalesceRedisCalls() {
      return coalesceRedisCalls;
    }

    public void setCoalesceRedisCalls(@Nullable Boolean coalesceRedisCalls) {
      this.coalesceRedisCalls = coalesceRedisCalls;
    }

    public @Nullable Duration getL1Ttl() {
      return l1Ttl;
    }

    public void setL1Ttl(@Nullable Duration l1Ttl) {
      this.l1Ttl = l1Ttl;
    }

    public @Nullable Duration getL2Ttl() {
      return l2Ttl;
    }

    public void setL2Ttl(@Nullable Duration l2Ttl) {
      this.l2Ttl = l2Ttl;
    }

    public @Nullable Long getMaximumSize() {
      return maximumSize;
    }

    public void setMaximumSize(@Nullable Long maximumSize) {
      this.maximumSize = maximumSize;
    }

    public @Nullable Double getTtlJitter() {
      return ttlJitter;
    }

    public void setTtlJitter(@Nullable Double ttlJitter) {
      this.ttlJitter = ttlJitter;
    }

    public @Nullable Duration getNegativeTtl() {
      return negativeTtl;
    }

    public void setNegativeTtl(@Nullable Duration negativeTtl) {
      this.negativeTtl = negativeTtl;
    }

    public @Nullable Double getRefreshAhead() {
      return refreshAhead;
    }

    public void setRefreshAhead(@Nullable Double refreshAhead) {
      this.refreshAhead = refreshAhead;
    }

    public @Nullable Duration getStaleIfError() {
      return staleIfError;
    }

    public void setStaleIfError(@Nullable Duration staleIfError) {
      this.staleIfError = staleIfError;
    }

    public @Nullable Duration getClusterLease() {
      return clusterLease;
    }

    public void setClusterLease(@Nullable Duration clusterLease) {
      this.clusterLease = clusterLease;
    }

    public @Nullable Duration getL2Timeout() {
      return l2Timeout;
    }

    public void setL2Timeout(@Nullable Duration l2Timeout) {
      this.l2Timeout = l2Timeout;
    }

    public @Nullable Boolean getL2() {
      return l2;
    }

    public void setL2(@Nullable Boolean l2) {
      this.l2 = l2;
    }

    public @Nullable Class<?> getValueType() {
      return valueType;
    }

    public void setValueType(@Nullable Class<?> valueType) {
      this.valueType = valueType;
    }

    /** This spec with every unset option taken from {@code defaults}. */
    Spec orElse(Spec defaults) {
      Spec s = new Spec();
      s.l1Ttl = l1Ttl != null ? l1Ttl : defaults.l1Ttl;
      s.l2Ttl = l2Ttl != null ? l2Ttl : defaults.l2Ttl;
      s.maximumSize = maximumSize != null ? maximumSize : defaults.maximumSize;
      s.ttlJitter = ttlJitter != null ? ttlJitter : defaults.ttlJitter;
      s.negativeTtl = negativeTtl != null ? negativeTtl : defaults.negativeTtl;
      s.refreshAhead = refreshAhead != null ? refreshAhead : defaults.refreshAhead;
      s.staleIfError = staleIfError != null ? staleIfError : defaults.staleIfError;
      s.clusterLease = clusterLease != null ? clusterLease : defaults.clusterLease;
      s.l2Timeout = l2Timeout != null ? l2Timeout : defaults.l2Timeout;
      s.l2 = l2 != null ? l2 : defaults.l2;
      s.valueType = valueType != null ? valueType : defaults.valueType;
      s.coalesceRedisCalls = coalesceRedisCalls != null ? coalesceRedisCalls : defaults.coalesceRedisCalls;
      return s;
    }
  }
}
