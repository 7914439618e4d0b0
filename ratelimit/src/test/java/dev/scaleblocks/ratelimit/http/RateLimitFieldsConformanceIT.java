package dev.scaleblocks.ratelimit.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.http.HttpDates;
import dev.scaleblocks.core.http.RequestMatcher;
import dev.scaleblocks.core.http.TestHttpServers;
import dev.scaleblocks.ratelimit.Algorithm;
import dev.scaleblocks.ratelimit.RateLimitPolicy;
import dev.scaleblocks.ratelimit.netty.RateLimitHandler;
import dev.scaleblocks.ratelimit.servlet.RateLimitFilter;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.stream.Stream;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.greenbytes.http.sfv.Item;
import org.greenbytes.http.sfv.ListElement;
import org.greenbytes.http.sfv.Parser;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The {@code RateLimit} / {@code RateLimit-Policy} fields as a client reads them, parsed by an
 * independent RFC 9651 Structured Fields parser, for every algorithm, both stores and both
 * adapters: {@code t} is the time until more quota comes (draft-10 §4.1.2), {@code Retry-After}
 * never names a moment before it (§6), and {@code X-RateLimit-Reset} names the same moment.
 */
class RateLimitFieldsConformanceIT {

  private static final Duration WINDOW = Duration.ofSeconds(10);

  static Stream<Arguments> runs() {
    List<Arguments> runs = new ArrayList<>();
    for (String adapter : List.of("jetty", "netty")) {
      for (String store : List.of("local", "redis")) {
        for (Algorithm algorithm : Algorithm.values()) {
          runs.add(Arguments.of(adapter, store, algorithm));
        }
      }
    }
    return runs.stream();
  }

  private record Field(String name, long r, long t) {}

  private static List<Field> rateLimit(HttpResponse<String> response) {
    List<Field> fields = new ArrayList<>();
    for (String line : response.headers().allValues("RateLimit")) {
      for (ListElement<?> e : Parser.parseList(line).get()) {
        Item<?> item = (Item<?>) e;
        Object t = item.getParams().containsKey("t") ? item.getParams().get("t").get() : null;
        fields.add(new Field((String) item.get(), (Long) item.getParams().get("r").get(), t == null ? 0 : (Long) t));
      }
    }
    return fields;
  }

  @ParameterizedTest(name = "{0}, {1} store, {2}")
  @MethodSource("runs")
  void fieldsMeanWhatDraft10Says(String adapter, String store, Algorithm algorithm) {
    try (RealLimiters limiters = store.equals("local") ? RealLimiters.local() : RealLimiters.redis()) {
      RateLimitPolicy policy = RateLimitPolicy.builder("p-" + algorithm.name().toLowerCase(java.util.Locale.ROOT))
          .algorithm(algorithm).limit(2, WINDOW).build();
      HttpRateLimit rateLimit = HttpRateLimit.builder()
          .route(RequestMatcher.path("/**"), limiters.create(policy))
          .headerStyle(HeaderStyle.IETF_AND_LEGACY)
          .build();
      try (TestHttpServers.Running server = start(adapter, rateLimit)) {
        List<String> seen = new ArrayList<>();
        awaitRoomInWindow(store, algorithm);
        for (int i = 0; i < 3; i++) {
          HttpResponse<String> r = TestHttpServers.send(TestHttpServers.get(server.uri("/x")).build());
          List<ListElement<?>> policies = Parser.parseList(r.headers().firstValue("RateLimit-Policy").orElseThrow()).get();
          Item<?> p = (Item<?>) policies.get(0);
          assertThat(p.getParams().get("q").get()).isEqualTo(2L);
          assertThat(p.getParams().get("w").get()).isEqualTo(10L);
          Field f = rateLimit(r).get(0);
          seen.add(r.statusCode() + " r=" + f.r() + " t=" + f.t() + " retry-after="
              + r.headers().firstValue("Retry-After").orElse("-"));
          assertThat(f.name()).isEqualTo(policy.name());
          assertThat(f.r()).isEqualTo(Math.max(0, 1 - i));
          assertThat(f.t()).as("t is positive once quota was spent, %s", seen).isPositive();
          // the time until more quota comes: a token or a drained permit is w/q = 5 s away; a fixed
          // window ends within w; a sliding window's single count decays within 2 w
          long most = switch (algorithm) {
            case TOKEN_BUCKET, GCRA -> 5;
            case FIXED_WINDOW -> 10;
            case SLIDING_WINDOW -> 20;
          };
          assertThat(f.t()).as("t of %s: %s", algorithm, seen).isLessThanOrEqualTo(most);
          long date = HttpDates.parse(r.headers().firstValue("Date").orElseThrow()).getEpochSecond();
          long reset = Long.parseLong(r.headers().firstValue("X-RateLimit-Reset").orElseThrow());
          assertThat(reset - date).as("X-RateLimit-Reset names the moment t names: %s", seen)
              .isBetween(f.t() - 1, f.t() + 1);
          if (i < 2) {
            assertThat(r.statusCode()).isEqualTo(200);
          } else {
            assertThat(r.statusCode()).isEqualTo(429);
            long retryAfter = Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow());
            assertThat(retryAfter).as("Retry-After not before t: %s", seen).isGreaterThanOrEqualTo(f.t());
            assertThat(retryAfter).isLessThanOrEqualTo(most);
          }
        }
        System.out.printf("%-5s %-5s %-14s %s%n", adapter, store, algorithm, seen);
      }
    }
  }

  /**
   * Windows are aligned to the store's clock (the local store's ticker, {@code System.nanoTime};
   * Redis' {@code TIME}, this machine's wall clock): three requests that straddle a boundary would
   * see a fresh window. Waits, when less than 3 s of the current window are left, for the next one.
   */
  private static void awaitRoomInWindow(String store, Algorithm algorithm) {
    if (algorithm != Algorithm.FIXED_WINDOW && algorithm != Algorithm.SLIDING_WINDOW) {
      return;
    }
    long windowMillis = WINDOW.toMillis();
    for (long left = left(store, windowMillis); left < 3_000; left = left(store, windowMillis)) {
      java.util.concurrent.locks.LockSupport.parkNanos((left + 50) * 1_000_000L);
    }
  }

  private static long left(String store, long windowMillis) {
    long now = store.equals("local") ? Math.floorDiv(System.nanoTime(), 1_000_000L) : System.currentTimeMillis();
    return windowMillis - Math.floorMod(now, windowMillis);
  }

  private static TestHttpServers.Running start(String adapter, HttpRateLimit rateLimit) {
    if (adapter.equals("jetty")) {
      return TestHttpServers.jetty(c -> {
        c.addFilter(new FilterHolder(new RateLimitFilter(rateLimit)), "/*", EnumSet.of(DispatcherType.REQUEST));
        c.addServlet(new ServletHolder(new HttpServlet() {
          private static final long serialVersionUID = 1L;

          @Override
          protected void service(HttpServletRequest req, HttpServletResponse resp) throws java.io.IOException {
            resp.setContentType("text/plain");
            resp.getWriter().write("ok");
          }
        }), "/*");
      });
    }
    return TestHttpServers.netty(1, p -> {
      p.addLast(new RateLimitHandler(rateLimit));
      p.addLast(dev.scaleblocks.core.http.CountingApps.netty(new java.util.concurrent.atomic.AtomicInteger()));
    });
  }
}
