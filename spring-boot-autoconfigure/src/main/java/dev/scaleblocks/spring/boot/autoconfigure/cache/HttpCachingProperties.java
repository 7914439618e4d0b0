package dev.scaleblocks.spring.boot.autoconfigure.cache;

import dev.scaleblocks.spring.boot.autoconfigure.RouteProperties;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * {@code scaleblocks.cache.http.*}: conditional requests and {@code ETag}s for controllers, per
 * route, in a servlet application.
 */
@ConfigurationProperties("scaleblocks.cache.http")
public class HttpCachingProperties {

  /** Whether routes configured here are served with validators and caching headers. */
  private boolean enabled = true;

  /** Order of the conditional-request filter; the body-ETag filter runs right after it. */
  private int filterOrder = -80;

  /** Largest response body buffered to hash its ETag; a larger one streams through untagged. */
  private DataSize etagMaxBytes = DataSize.ofKilobytes(256);

  /** Whether body ETags are weak (W/"..."), for responses whose bytes vary with compression. */
  private boolean weakEtags = false;

  /** Routes, first match wins. */
  private List<Route> routes = new ArrayList<>();

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public int getFilterOrder() {
    return filterOrder;
  }

  public void setFilterOrder(int filterOrder) {
    this.filterOrder = filterOrder;
  }

  public DataSize getEtagMaxBytes() {
    return etagMaxBytes;
  }

  public void setEtagMaxBytes(DataSize etagMaxBytes) {
    this.etagMaxBytes = etagMaxBytes;
  }

  public boolean isWeakEtags() {
    return weakEtags;
  }

  public void setWeakEtags(boolean weakEtags) {
    this.weakEtags = weakEtags;
  }

  public List<Route> getRoutes() {
    return routes;
  }

  public void setRoutes(List<Route> routes) {
    this.routes = routes;
  }

  /** One route: which requests, and what their responses carry. */
  public static class Route extends RouteProperties {

    /** Whether GET/HEAD 200 responses get an ETag hashed from their body, and If-None-Match a 304. */
    private boolean etag = false;

    /**
     * Name of a ValidatorSource bean giving the current ETag/Last-Modified before the controller
     * runs (e.g. ValidatorSource.fromCache), so a 304 or 412 is answered without rendering.
     */
    private @Nullable String validators;

    /** Header names added to Vary. */
    private List<String> vary = new ArrayList<>();

    /** The Cache-Control set on responses that do not set their own. */
    private CacheControlSpec cacheControl = new CacheControlSpec();

    public boolean isEtag() {
      return etag;
    }

    public void setEtag(boolean etag) {
      this.etag = etag;
    }

    public @Nullable String getValidators() {
      return validators;
    }

    public void setValidators(@Nullable String validators) {
      this.validators = validators;
    }

    public List<String> getVary() {
      return vary;
    }

    public void setVary(List<String> vary) {
      this.vary = vary;
    }

    public CacheControlSpec getCacheControl() {
      return cacheControl;
    }

    public void setCacheControl(CacheControlSpec cacheControl) {
      this.cacheControl = cacheControl;
    }
  }

  /** Cache-Control directives (RFC 9111 §5.2.2); none set means no header. */
  public static class CacheControlSpec {

    /** public (shared caches may store it) or private (only the user's). */
    private @Nullable Visibility visibility;

    /** max-age. */
    private @Nullable Duration maxAge;

    /** s-maxage (shared caches). */
    private @Nullable Duration sharedMaxAge;

    /** stale-while-revalidate (RFC 5861). */
    private @Nullable Duration staleWhileRevalidate;

    /** stale-if-error (RFC 5861). */
    private @Nullable Duration staleIfError;

    /** no-cache: revalidate before every reuse. */
    private boolean noCache;

    /** no-store. */
    private boolean noStore;

    /** must-revalidate. */
    private boolean mustRevalidate;

    /** immutable (RFC 8246). */
    private boolean immutable;

    public @Nullable Visibility getVisibility() {
      return visibility;
    }

    public void setVisibility(@Nullable Visibility visibility) {
      this.visibility = visibility;
    }

    public @Nullable Duration getMaxAge() {
      return maxAge;
    }

    public void setMaxAge(@Nullable Duration maxAge) {
      this.maxAge = maxAge;
    }

    public @Nullable Duration getSharedMaxAge() {
      return sharedMaxAge;
    }

    public void setSharedMaxAge(@Nullable Duration sharedMaxAge) {
      this.sharedMaxAge = sharedMaxAge;
    }

    public @Nullable Duration getStaleWhileRevalidate() {
      return staleWhileRevalidate;
    }

    public void setStaleWhileRevalidate(@Nullable Duration staleWhileRevalidate) {
      this.staleWhileRevalidate = staleWhileRevalidate;
    }

    public @Nullable Duration getStaleIfError() {
      return staleIfError;
    }

    public void setStaleIfError(@Nullable Duration staleIfError) {
      this.staleIfError = staleIfError;
    }

    public boolean isNoCache() {
      return noCache;
    }

    public void setNoCache(boolean noCache) {
      this.noCache = noCache;
    }

    public boolean isNoStore() {
      return noStore;
    }

    public void setNoStore(boolean noStore) {
      this.noStore = noStore;
    }

    public boolean isMustRevalidate() {
      return mustRevalidate;
    }

    public void setMustRevalidate(boolean mustRevalidate) {
      this.mustRevalidate = mustRevalidate;
    }

    public boolean isImmutable() {
      return immutable;
    }

    public void setImmutable(boolean immutable) {
      this.immutable = immutable;
    }
  }

  /** Who may store a response. */
  public enum Visibility {
    PUBLIC,
    PRIVATE
  }
}
