package dev.scaleblocks.core.http;

import static dev.scaleblocks.core.internal.Checks.requireInRange;
import static dev.scaleblocks.core.internal.Checks.requireNonEmpty;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;
import static dev.scaleblocks.core.internal.Checks.requireUnset;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.Ticker;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.MDC;

/**
 * Request correlation and telemetry, shared by {@code CorrelationFilter} (servlet) and {@code
 * CorrelationHandler} (Netty).
 *
 * <p>For each request it takes the id from the request-id header ({@code X-Request-Id} by
 * default) when that is valid (see {@link RequestIds#isValid}), else the trace id of a valid W3C
 * {@code traceparent}, else generates one. The adapters echo the id on the response, put it in the
 * SLF4J {@link MDC} while the request is handled, and time the request: a Micrometer timer {@value
 * #METRIC} tagged {@code method}, {@code uri}, {@code status}, {@code outcome}, {@code exception}
 * (the Spring {@code http.server.requests} tags) and an OpenTelemetry {@code SERVER} span that is a
 * child of the incoming {@code traceparent}.
 *
 * <p>An invalid incoming id (too long, bad characters, CR/LF) is never echoed, logged or put in
 * the MDC: a fresh id replaces it.
 *
 * <p>Thread-safe; its configuration is immutable. {@link #start} costs one span start and, when an
 * id must be generated, one 32-character string; {@link Exchange#end} one array read for the
 * request's timer: each timer is registered once, on its first request, and kept here (tags are
 * not sorted and looked up again per request). Timers of at most {@value #MAX_CACHED_ROUTES} routes
 * are kept; a {@code routeTag} with more values (which it must not have) is registered per request,
 * as are timers of requests that ended with an exception.
 */
public final class RequestCorrelation {

  /** The name of the request timer. */
  public static final String METRIC = "scaleblocks.http.server.requests";

  /** The methods named in tags; any other is {@code OTHER} (index {@code METHODS.size()}). */
  private static final List<String> METHODS =
      List.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT");

  /** Timer slots per method: one per status code below 600; slot 0 is "no response" (0). */
  private static final int STATUSES = 600;

  /** Routes whose timers are kept; beyond, timers are registered per request. */
  static final int MAX_CACHED_ROUTES = 1024;

  private static final Supplier<String> DEFAULT_GENERATOR = RequestIds::generate;

  private static final TextMapGetter<HttpRequestView> GETTER =
      new TextMapGetter<>() {
        @Override
        public @Nullable String get(@Nullable HttpRequestView carrier, String key) {
          return carrier == null ? null : carrier.header(key);
        }
      };

  private final String requestIdHeader;
  private final boolean useTraceparent;
  private final boolean acceptIncoming;
  private final String mdcKey;
  private final int maxIdLength;
  private final Supplier<String> idGenerator;
  private final Function<HttpRequestView, String> routeTag;
  private final Telemetry telemetry;
  private final Ticker ticker;
  /** Per route, per method index, per status: the timer, registered on first use. */
  private final ConcurrentHashMap<String, AtomicReferenceArray<@Nullable AtomicReferenceArray<@Nullable Timer>>>
      timers = new ConcurrentHashMap<>();

  private RequestCorrelation(Builder b) {
    this.requestIdHeader = b.requestIdHeader;
    this.useTraceparent = b.useTraceparent;
    this.acceptIncoming = b.acceptIncoming;
    this.mdcKey = b.mdcKey;
    this.maxIdLength = b.maxIdLength;
    this.idGenerator = b.idGenerator;
    this.routeTag = b.routeTag;
    this.telemetry = b.telemetry;
    this.ticker = b.ticker;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Defaults: {@code X-Request-Id}, traceparent fallback, MDC key {@code requestId}, no telemetry. */
  public static RequestCorrelation defaults() {
    return builder().build();
  }

  /** The header read and echoed, e.g. {@code X-Request-Id}. */
  public String requestIdHeader() {
    return requestIdHeader;
  }

  /** The MDC key the id is put under. */
  public String mdcKey() {
    return mdcKey;
  }

  /** The id for a request with these header values: the incoming one when valid, else the trace id, else a new one. */
  public String resolveId(@Nullable String requestIdValue, @Nullable String traceparent) {
    if (acceptIncoming) {
      if (requestIdValue != null) {
        String trimmed = requestIdValue.trim();
        if (RequestIds.isValid(trimmed, maxIdLength)) {
          return trimmed;
        }
      }
      if (useTraceparent) {
        String traceId = RequestIds.traceIdOf(traceparent);
        if (traceId != null && traceId.length() <= maxIdLength) {
          return traceId;
        }
      }
    }
    if (idGenerator == DEFAULT_GENERATOR) {
      return RequestIds.generate(); // what an invalid generated id is replaced by anyway: no check
    }
    String generated = idGenerator.get();
    if (!RequestIds.isValid(generated, maxIdLength)) {
      return RequestIds.generate();
    }
    return generated;
  }

  /** Starts observing {@code request}: resolves its id, starts the timer and the span. */
  public Exchange start(HttpRequestView request) {
    String traceparent = request.header("traceparent");
    String id = resolveId(request.header(requestIdHeader), traceparent);
    int methodIndex = METHODS.indexOf(request.method());
    String method = methodIndex < 0 ? null : METHODS.get(methodIndex);
    // without a traceparent the propagator extracts nothing: the parent is the root context
    Context parent = traceparent == null
        ? Context.root()
        : W3CTraceContextPropagator.getInstance().extract(Context.root(), request, GETTER);
    String route = routeOf(request);
    Span span =
        telemetry
            .tracer()
            .spanBuilder(method != null ? method : "HTTP")
            .setParent(parent)
            .setSpanKind(SpanKind.SERVER)
            .setAttribute("http.request.method", method != null ? method : "_OTHER")
            .setAttribute("url.path", request.path())
            .setAttribute("http.route", route)
            .startSpan();
    return new Exchange(id, methodIndex < 0 ? METHODS.size() : methodIndex, route, span);
  }

  /**
   * One request being observed. {@link #end} is idempotent; {@link #makeCurrent} may be called on
   * each thread that works on the request. Thread-safe.
   */
  public final class Exchange {
    private final String requestId;
    private final int methodIndex;
    private final String route;
    private final Span span;
    private final long startNanos;
    private final AtomicBoolean ended = new AtomicBoolean();

    private Exchange(String requestId, int methodIndex, String route, Span span) {
      this.requestId = requestId;
      this.methodIndex = methodIndex;
      this.route = route;
      this.span = span;
      this.startNanos = ticker.read();
    }

    /** The id of this request. */
    public String requestId() {
      return requestId;
    }

    /** The span of this request. */
    public Span span() {
      return span;
    }

    /**
     * Puts the id in the MDC and the span in the OpenTelemetry context of the calling thread until
     * the returned scope is closed, which restores what was there before.
     */
    @SuppressWarnings("MustBeClosedChecker") // the OpenTelemetry scope is closed by the returned one
    public CorrelationScope makeCurrent() {
      String previous = MDC.get(mdcKey);
      MDC.put(mdcKey, requestId);
      io.opentelemetry.context.Scope otel = Context.current().with(span).makeCurrent();
      return () -> {
        otel.close();
        if (previous == null) {
          MDC.remove(mdcKey);
        } else {
          MDC.put(mdcKey, previous);
        }
      };
    }

    /** Records the request as finished with {@code status} (0 when no response was sent). */
    public void end(int status, @Nullable Throwable error) {
      if (!ended.compareAndSet(false, true)) {
        return;
      }
      long nanos = ticker.read() - startNanos;
      Timer timer = error == null
          ? timer(methodIndex, route, status)
          : register(methodIndex, route, status, error.getClass().getSimpleName());
      timer.record(Math.max(0, nanos), TimeUnit.NANOSECONDS);
      if (status > 0) {
        span.setAttribute("http.response.status_code", status);
      }
      if (error != null) {
        span.recordException(error);
        span.setStatus(StatusCode.ERROR);
      } else if (status >= 500) {
        span.setStatus(StatusCode.ERROR);
      }
      span.end();
    }
  }

  /** The timer of a request that ended without an exception, registered on its first use. */
  private Timer timer(int methodIndex, String route, int status) {
    var byMethod = timers.get(route);
    if (byMethod == null) {
      if (timers.size() >= MAX_CACHED_ROUTES) {
        return register(methodIndex, route, status, "none");
      }
      byMethod = timers.computeIfAbsent(route, r -> new AtomicReferenceArray<>(METHODS.size() + 1));
    }
    var byStatus = byMethod.get(methodIndex);
    if (byStatus == null) {
      byMethod.compareAndSet(methodIndex, null, new AtomicReferenceArray<>(STATUSES));
      byStatus = byMethod.get(methodIndex);
    }
    // 0 ("no response", tagged UNKNOWN) is kept in slot 0; codes a server never sends (1-99,
    // 600 and up) are registered each time
    int slot = status >= 100 && status < STATUSES ? status : status <= 0 ? 0 : -1;
    if (slot < 0) {
      return register(methodIndex, route, status, "none");
    }
    Timer timer = byStatus.get(slot);
    if (timer == null) {
      // registering twice at once is harmless: the registry gives both the same timer
      timer = register(methodIndex, route, status, "none");
      byStatus.set(slot, timer);
    }
    return timer;
  }

  private Timer register(int methodIndex, String route, int status, String exception) {
    return Timer.builder(METRIC)
        .description("HTTP server requests")
        .tags(
            Tags.of(
                "method", methodIndex < METHODS.size() ? METHODS.get(methodIndex) : "OTHER",
                "uri", route,
                "status", status <= 0 ? "UNKNOWN" : Integer.toString(status),
                "outcome", outcome(status),
                "exception", exception))
        .register(telemetry.meterRegistry());
  }

  private String routeOf(HttpRequestView request) {
    try {
      String route = routeTag.apply(request);
      return route == null || route.isEmpty() ? "UNKNOWN" : route;
    } catch (RuntimeException e) {
      return "UNKNOWN";
    }
  }

  private static String outcome(int status) {
    if (status >= 100 && status < 200) {
      return "INFORMATIONAL";
    } else if (status >= 200 && status < 300) {
      return "SUCCESS";
    } else if (status >= 300 && status < 400) {
      return "REDIRECTION";
    } else if (status >= 400 && status < 500) {
      return "CLIENT_ERROR";
    } else if (status >= 500 && status < 600) {
      return "SERVER_ERROR";
    }
    return "UNKNOWN";
  }

  /** What {@link Exchange#makeCurrent()} returns; closing it never throws. */
  @FunctionalInterface
  public interface CorrelationScope extends AutoCloseable {
    @Override
    void close();
  }

  /** Builds a {@link RequestCorrelation}. Not thread-safe. */
  public static final class Builder {
    /** The options given so far: each may be given once. */
    private final java.util.Set<String> given = new java.util.HashSet<>();
    private String requestIdHeader = "X-Request-Id";
    private boolean useTraceparent = true;
    private boolean acceptIncoming = true;
    private String mdcKey = "requestId";
    private int maxIdLength = 128;
    private Supplier<String> idGenerator = RequestIds::generate;
    private Function<HttpRequestView, String> routeTag = r -> "UNKNOWN";
    private Telemetry telemetry = Telemetry.none();
    private Ticker ticker = Ticker.system();

    private Builder() {}

    /** The header read and echoed; {@code X-Request-Id} by default. */
    public Builder requestIdHeader(String name) {
      requireUnset(!given.add("requestIdHeader"), "requestIdHeader", requestIdHeader);
      this.requestIdHeader = requireNonEmpty(name, "requestIdHeader");
      return this;
    }

    /** Whether the trace id of {@code traceparent} is used when the id header is absent; true by default. */
    public Builder useTraceparent(boolean use) {
      requireUnset(!given.add("useTraceparent"), "useTraceparent", useTraceparent);
      this.useTraceparent = use;
      return this;
    }

    /** Whether ids sent by the client are used at all; true by default (false: always generate). */
    public Builder acceptIncoming(boolean accept) {
      requireUnset(!given.add("acceptIncoming"), "acceptIncoming", acceptIncoming);
      this.acceptIncoming = accept;
      return this;
    }

    /** The MDC key; {@code requestId} by default. */
    public Builder mdcKey(String key) {
      requireUnset(!given.add("mdcKey"), "mdcKey", mdcKey);
      this.mdcKey = requireNonEmpty(key, "mdcKey");
      return this;
    }

    /** Longest incoming id accepted; 128 by default, at most 1024. */
    public Builder maxIdLength(int length) {
      requireUnset(!given.add("maxIdLength"), "maxIdLength", maxIdLength);
      this.maxIdLength = (int) requireInRange(length, 16, 1024, "maxIdLength");
      return this;
    }

    /** Generates new ids; 32 random hex digits by default. An invalid generated id is replaced by the default. */
    public Builder idGenerator(Supplier<String> generator) {
      requireUnset(!given.add("idGenerator"), "idGenerator");
      this.idGenerator = requireNonNull(generator, "idGenerator");
      return this;
    }

    /**
     * The {@code uri} tag and {@code http.route} attribute for a request. Return a route template
     * ({@code /items/{id}}), never the raw path, or the timer's tag cardinality is unbounded.
     * {@code UNKNOWN} by default.
     */
    public Builder routeTag(Function<HttpRequestView, String> routeTag) {
      requireUnset(!given.add("routeTag"), "routeTag");
      this.routeTag = requireNonNull(routeTag, "routeTag");
      return this;
    }

    /** Where the timer and spans go; {@link Telemetry#none()} by default. */
    public Builder telemetry(Telemetry telemetry) {
      requireUnset(!given.add("telemetry"), "telemetry");
      this.telemetry = requireNonNull(telemetry, "telemetry");
      return this;
    }

    /** The time source of the timer; {@link Ticker#system()} by default. */
    public Builder ticker(Ticker ticker) {
      requireUnset(!given.add("ticker"), "ticker");
      this.ticker = requireNonNull(ticker, "ticker");
      return this;
    }

    public RequestCorrelation build() {
      return new RequestCorrelation(this);
    }
  }
}
