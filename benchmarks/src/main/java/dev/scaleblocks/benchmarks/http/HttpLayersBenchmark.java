package dev.scaleblocks.benchmarks.http;

import dev.scaleblocks.cache.TieredCache;
import dev.scaleblocks.cache.http.CacheControl;
import dev.scaleblocks.cache.http.CachePolicy;
import dev.scaleblocks.cache.http.HttpCaching;
import dev.scaleblocks.cache.http.ValidatorSource;
import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.http.HttpRequestView;
import dev.scaleblocks.core.http.RequestCorrelation;
import dev.scaleblocks.core.http.RequestMatcher;
import dev.scaleblocks.ratelimit.RateLimitPolicy;
import dev.scaleblocks.ratelimit.RateLimiter;
import dev.scaleblocks.ratelimit.http.HttpRateLimit;
import dev.scaleblocks.ratelimit.http.KeyResolver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * What each HTTP block costs one request, without a server: the framework-neutral work the servlet
 * filters and the Netty handlers both do, called directly on a request view of {@code GET /item}
 * from {@code 127.0.0.1} (what {@code scripts/http-overhead.sh} sends), one block per benchmark:
 *
 * <ul>
 *   <li>{@code correlation}: {@link RequestCorrelation#start}, the MDC and span scope, and {@code
 *       end(200)} with the default {@link Telemetry#none()}; {@code correlationMetered} the same
 *       into a {@link SimpleMeterRegistry}, so the timer records;
 *   <li>{@code rateLimit}: {@link HttpRateLimit#prepare} (client-IP key) and {@code decide()} of a
 *       local limiter that admits everything, with its {@code RateLimit-Policy} / {@code RateLimit}
 *       headers;
 *   <li>{@code conditional}: {@link HttpCaching#plan} with the validators of a cached entry and no
 *       precondition (the request proceeds; {@code ETag}, {@code Last-Modified}, {@code
 *       Cache-Control} to add), and {@code conditionalNotModified} with a matching {@code
 *       If-None-Match} (a 304).
 * </ul>
 *
 * Run with {@code -prof gc} for the bytes each allocates per request: {@code java -jar
 * benchmarks/target/benchmarks.jar HttpLayersBenchmark -prof gc}. The end-to-end figures are in
 * {@code docs/benchmarks-http.md}; these say where inside a block the time and the garbage go.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HttpLayersBenchmark {

  private RequestCorrelation correlation;
  private RequestCorrelation correlationMetered;
  private SimpleMeterRegistry registry;
  private HttpRateLimit rateLimit;
  private HttpCaching caching;
  private TieredCache<String, String> cache;
  private HttpRequestView request;
  private HttpRequestView conditionalRequest;

  @Setup
  public void setUp() {
    correlation = RequestCorrelation.builder().build();
    registry = new SimpleMeterRegistry();
    correlationMetered = RequestCorrelation.builder().telemetry(Telemetry.of(registry)).build();
    RateLimiter limiter = RateLimiter.builder(RateLimitPolicy.builder("per-ip")
        .limit(1_000_000_000_000L, Duration.ofSeconds(1)).build()).local().build();
    rateLimit = HttpRateLimit.builder()
        .route(RequestMatcher.path("/**"), limiter)
        .keyResolver(KeyResolver.clientIp())
        .build();
    cache = TieredCache.builder().name("http-layers").maximumSize(100).<String, String>build();
    cache.put("1", "{\"id\":\"1\"}");
    caching = HttpCaching.builder()
        .route(RequestMatcher.path("/**"), CachePolicy.builder()
            .cacheControl(CacheControl.builder().noCache().build())
            .validators(ValidatorSource.fromCache(cache, r -> "1"))
            .build())
        .build();
    request = new View(Map.of("Host", "127.0.0.1:18181"));
    String etag = caching.plan(request).headers().stream()
        .filter(h -> h.getKey().equals("ETag")).findFirst().orElseThrow().getValue();
    conditionalRequest = new View(Map.of("Host", "127.0.0.1:18181", "If-None-Match", etag));
  }

  @TearDown
  public void tearDown() {
    cache.close();
    registry.close();
  }

  @Benchmark
  public void correlation(Blackhole bh) {
    exchange(correlation, bh);
  }

  @Benchmark
  public void correlationMetered(Blackhole bh) {
    exchange(correlationMetered, bh);
  }

  private void exchange(RequestCorrelation c, Blackhole bh) {
    RequestCorrelation.Exchange exchange = c.start(request);
    RequestCorrelation.CorrelationScope scope = exchange.makeCurrent();
    try {
      bh.consume(exchange.requestId());
    } finally {
      scope.close();
    }
    exchange.end(200, null);
  }

  @Benchmark
  public HttpRateLimit.Outcome rateLimit() {
    return rateLimit.prepare(request).decide();
  }

  @Benchmark
  public HttpCaching.Plan conditional() {
    return caching.plan(request);
  }

  @Benchmark
  public HttpCaching.Plan conditionalNotModified() {
    return caching.plan(conditionalRequest);
  }

  /** A request as a server's view would give it: header lookups ignore case. */
  private static final class View implements HttpRequestView {
    private final TreeMap<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);

    View(Map<String, String> headers) {
      this.headers.putAll(headers);
    }

    @Override
    public String method() {
      return "GET";
    }

    @Override
    public String path() {
      return "/item";
    }

    @Override
    public String header(String name) {
      return headers.get(name);
    }

    @Override
    public List<String> headers(String name) {
      String v = headers.get(name);
      return v == null ? List.of() : List.of(v);
    }

    @Override
    public String remoteAddress() {
      return "127.0.0.1";
    }
  }
}
