package dev.scaleblocks.cache.http;

import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import dev.scaleblocks.core.http.HttpDates;
import dev.scaleblocks.core.http.HttpRequestView;
import dev.scaleblocks.core.http.RequestMatcher;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-route HTTP caching, shared by {@code ConditionalRequestFilter} (servlet) and {@code
 * ConditionalRequestHandler} (Netty): the first route whose matcher matches gives the {@link
 * CachePolicy}. When the policy has a {@link ValidatorSource}, the request's preconditions are
 * evaluated ({@link Conditionals}) before the application runs, so a 304 or 412 is answered
 * without rendering or buffering any body. Several lines of one conditional field are read as one
 * list (RFC 9110 §5.3).
 *
 * <p>Immutable and thread-safe. Cost per request: one matcher pass per route until a match, one
 * validator lookup, one header lookup per precondition field (a list only for those present, parsed
 * only when there are validators), the {@code ETag} and {@code Last-Modified} strings; a policy's
 * {@code Cache-Control} and {@code Vary} headers are built once.
 */
public final class HttpCaching {

  private static final Logger log = LoggerFactory.getLogger(HttpCaching.class);

  private final List<Route> routes;

  private HttpCaching(Builder b) {
    List<Route> rs = new ArrayList<>(b.routes.size());
    for (Map.Entry<RequestMatcher, CachePolicy> r : b.routes) {
      rs.add(new Route(r.getKey(), r.getValue()));
    }
    this.routes = List.copyOf(rs);
  }

  /** A route and the headers of its policy that are the same for every request. */
  private static final class Route {
    final RequestMatcher matcher;
    final CachePolicy policy;
    final List<Map.Entry<String, String>> fixedHeaders;

    Route(RequestMatcher matcher, CachePolicy policy) {
      this.matcher = matcher;
      this.policy = policy;
      List<Map.Entry<String, String>> fixed = new ArrayList<>(2);
      if (policy.cacheControl() != null) {
        fixed.add(Map.entry("Cache-Control", policy.cacheControl().toString()));
      }
      if (policy.vary() != null) {
        fixed.add(Map.entry("Vary", policy.vary()));
      }
      this.fixedHeaders = List.copyOf(fixed);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The plan for {@code request}, or null when no route matches. Never throws. */
  public @Nullable Plan plan(HttpRequestView request) {
    String method = request.method();
    String path = request.path();
    for (Route route : routes) {
      if (route.matcher.matches(method, path)) {
        return plan(request, route);
      }
    }
    return null;
  }

  private static Plan plan(HttpRequestView request, Route route) {
    CachePolicy policy = route.policy;
    Validators validators = null;
    ValidatorSource source = policy.validators();
    if (source != null) {
      try {
        validators = source.validators(request);
      } catch (RuntimeException e) {
        log.warn("validator source failed; request served unconditionally", e);
      }
    }
    List<Map.Entry<String, String>> headers = route.fixedHeaders;
    String method = request.method();
    boolean safe = method.equals("GET") || method.equals("HEAD");
    // a write changes the representation: its response must not carry the validators read
    // before it (a client reusing them in If-Match would get 412); the application may set new ones
    if (validators != null && safe) {
      EntityTag etag = validators.etag();
      Instant lastModified = validators.lastModified();
      if (etag != null || lastModified != null) {
        List<Map.Entry<String, String>> all = new ArrayList<>(2 + headers.size());
        if (etag != null) {
          all.add(Map.entry("ETag", etag.toString()));
        }
        if (lastModified != null) {
          all.add(Map.entry("Last-Modified", HttpDates.format(lastModified)));
        }
        all.addAll(headers);
        headers = Collections.unmodifiableList(all);
      }
    }
    Conditionals.Result result = Conditionals.Result.PROCEED;
    if (validators != null) {
      result = Conditionals.evaluate(
          method, validators,
          field(request, "If-Match"), field(request, "If-Unmodified-Since"),
          field(request, "If-None-Match"), field(request, "If-Modified-Since"));
    }
    return new Plan(result, headers);
  }

  /**
   * The value of field {@code name} with every field line combined into one comma-separated list,
   * as RFC 9110 §5.3 says a recipient may (so that {@code If-None-Match} sent on two lines is one
   * list); null when absent. A date field sent twice thus becomes invalid, and is ignored.
   */
  static @Nullable String field(HttpRequestView request, String name) {
    if (request.header(name) == null) {
      return null; // the usual case: one lookup, no list
    }
    List<String> lines = request.headers(name);
    if (lines.isEmpty()) {
      return null;
    }
    return lines.size() == 1 ? lines.get(0) : String.join(", ", lines);
  }

  /** What to do with one request. Immutable. */
  public static final class Plan {
    private final Conditionals.Result result;
    private final List<Map.Entry<String, String>> headers;

    Plan(Conditionals.Result result, List<Map.Entry<String, String>> headers) {
      this.result = result;
      this.headers = headers;
    }

    /** PROCEED, or the status to answer with at once. */
    public Conditionals.Result result() {
      return result;
    }

    /**
     * Headers for the response ({@code ETag}, {@code Last-Modified}, {@code Cache-Control}, {@code
     * Vary}); each is set only when the application did not set it. A 304 carries them too; a 412
     * carries none. The validators ({@code ETag}, {@code Last-Modified}) are given for GET and HEAD
     * only: the response to a write carries the validator the application sets for the new
     * representation, or none — never the one read before the write.
     */
    public List<Map.Entry<String, String>> headers() {
      return headers;
    }
  }

  /** Builds an {@link HttpCaching}. Not thread-safe. */
  public static final class Builder {
    private final List<Map.Entry<RequestMatcher, CachePolicy>> routes = new ArrayList<>();

    private Builder() {}

    /** Applies {@code policy} to requests matching {@code matcher}; the first matching route wins. */
    public Builder route(RequestMatcher matcher, CachePolicy policy) {
      routes.add(Map.entry(requireNonNull(matcher, "matcher"), requireNonNull(policy, "policy")));
      return this;
    }

    public HttpCaching build() {
      if (routes.isEmpty()) {
        throw new IllegalStateException("at least one route is needed");
      }
      return new HttpCaching(this);
    }
  }
}
