package dev.scaleblocks.ratelimit.http;

import static dev.scaleblocks.core.http.TestHttpServers.get;
import static dev.scaleblocks.core.http.TestHttpServers.send;
import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.http.RequestMatcher;
import dev.scaleblocks.core.http.TestHttpServers;
import dev.scaleblocks.ratelimit.RateLimiter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.greenbytes.http.sfv.Item;
import org.greenbytes.http.sfv.ListElement;
import org.greenbytes.http.sfv.Parser;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every rate-limit adapter shows in a real server with a real client and the real
 * limiters. Subclasses start the server with the adapter configured by an {@link HttpRateLimit}
 * (the application answers {@code 200 ok} on every path) and choose the store: local or Redis
 * ({@link RealLimiters}).
 */
public abstract class RateLimitAdapterContract {

  protected final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private TestHttpServers.@Nullable Running server;
  private @Nullable RealLimiters limiters;

  /** Starts a server whose application answers 200 "ok", behind the adapter. */
  protected abstract TestHttpServers.Running start(HttpRateLimit rateLimit);

  /** The store the limiters of this run use. */
  protected abstract RealLimiters newLimiters();

  protected TestHttpServers.Running serve(HttpRateLimit rateLimit) {
    server = start(rateLimit);
    return server;
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    if (limiters != null) {
      limiters.close();
    }
  }

  /** A real token-bucket limiter of {@code quota} per {@code window}, closed after the test. */
  protected RateLimiter limiter(String name, long quota, Duration window) {
    if (limiters == null) {
      limiters = newLimiters();
    }
    return limiters.create(name, quota, window);
  }

  private static Item<?> onlyItem(String field) {
    List<ListElement<?>> items = Parser.parseList(field).get();
    assertThat(items).hasSize(1);
    return (Item<?>) items.get(0);
  }

  @Test
  void rejectsWith429AfterTheQuotaWithStructuredHeaders() {
    TestHttpServers.Running s = serve(HttpRateLimit.builder()
        .route(RequestMatcher.path("/api/**"), limiter("api", 3, Duration.ofSeconds(60)))
        .telemetry(Telemetry.of(registry))
        .build());
    for (int i = 1; i <= 3; i++) {
      HttpResponse<String> ok = send(get(s.uri("/api/items")).build());
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(ok.body()).isEqualTo("ok");
      Item<?> policy = onlyItem(ok.headers().firstValue("RateLimit-Policy").orElseThrow());
      assertThat(policy.get()).isEqualTo("api");
      assertThat(policy.getParams().get("q").get()).isEqualTo(3L);
      assertThat(policy.getParams().get("w").get()).isEqualTo(60L);
      Item<?> rl = onlyItem(ok.headers().firstValue("RateLimit").orElseThrow());
      assertThat(rl.get()).isEqualTo("api");
      assertThat(rl.getParams().get("r").get()).isEqualTo((long) (3 - i));
      // a token bucket of 3 per 60 s refills one permit per 20 s: t is the next one (draft-10
      // §4.1.2), not the full bucket
      assertThat((Long) rl.getParams().get("t").get()).isBetween(19L, 20L);
      assertThat(ok.headers().firstValue("Retry-After")).isEmpty();
    }
    HttpResponse<String> rejected = send(get(s.uri("/api/items")).build());
    assertThat(rejected.statusCode()).isEqualTo(429);
    assertThat(rejected.headers().firstValue("Content-Type")).hasValueSatisfying(
        v -> assertThat(v).startsWith("application/problem+json"));
    assertThat(rejected.body()).contains("\"status\":429").contains("\"title\":\"Too Many Requests\"");
    // the next permit comes in 20 s
    assertThat(Long.parseLong(rejected.headers().firstValue("Retry-After").orElseThrow())).isBetween(19L, 20L);
    Item<?> policy = onlyItem(rejected.headers().firstValue("RateLimit-Policy").orElseThrow());
    assertThat(policy.get()).isEqualTo("api");
    assertThat(policy.getParams().get("q").get()).isEqualTo(3L);
    assertThat(policy.getParams().get("w").get()).isEqualTo(60L);
    Item<?> rl = onlyItem(rejected.headers().firstValue("RateLimit").orElseThrow());
    assertThat(rl.get()).isEqualTo("api");
    assertThat(rl.getParams().get("r").get()).isEqualTo(0L);
    assertThat((Long) rl.getParams().get("t").get()).isBetween(19L, 20L)
        .isLessThanOrEqualTo(Long.parseLong(rejected.headers().firstValue("Retry-After").orElseThrow()));
    assertThat(rejected.headers().firstValue("X-RateLimit-Limit")).isEmpty();
    // another route is not limited
    HttpResponse<String> other = send(get(s.uri("/public")).build());
    assertThat(other.statusCode()).isEqualTo(200);
    assertThat(other.headers().firstValue("RateLimit")).isEmpty();
    assertThat(registry.get(HttpRateLimit.METRIC).tags("policy", "api", "result", "rejected").counter().count())
        .isEqualTo(1);
    assertThat(registry.get(HttpRateLimit.METRIC).tags("policy", "api", "result", "allowed").counter().count())
        .isEqualTo(3);
  }

  @Test
  void legacyHeadersAnd503() {
    Clock clock = Clock.fixed(Instant.parse("2026-11-23T10:00:00Z"), ZoneOffset.UTC);
    TestHttpServers.Running s = serve(HttpRateLimit.builder()
        .route(RequestMatcher.any(), limiter("all", 1, Duration.ofSeconds(10)))
        .headerStyle(HeaderStyle.IETF_AND_LEGACY)
        .rejectionStatus(503)
        .clock(clock)
        .build());
    HttpResponse<String> ok = send(get(s.uri("/x")).build());
    assertThat(ok.headers().firstValue("X-RateLimit-Limit")).hasValue("1");
    assertThat(ok.headers().firstValue("X-RateLimit-Remaining")).hasValue("0");
    long reset = Long.parseLong(ok.headers().firstValue("X-RateLimit-Reset").orElseThrow());
    // the one permit of 1 per 10 s is back in 10 s
    assertThat(reset).isBetween(clock.instant().getEpochSecond() + 9, clock.instant().getEpochSecond() + 10);
    assertThat(ok.headers().allValues("Date")).isNotEmpty();
    HttpResponse<String> rejected = send(get(s.uri("/x")).build());
    assertThat(rejected.statusCode()).isEqualTo(503);
    assertThat(rejected.body()).contains("\"status\":503");
    assertThat(Long.parseLong(rejected.headers().firstValue("Retry-After").orElseThrow())).isBetween(9L, 10L);
  }

  @Test
  void shadowModeNeverRejectsButSaysSo() {
    TestHttpServers.Running s = serve(HttpRateLimit.builder()
        .route(RequestMatcher.any(), limiter("dry", 1, Duration.ofSeconds(60)))
        .shadow(true)
        .telemetry(Telemetry.of(registry))
        .build());
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> r = send(get(s.uri("/x")).build());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(onlyItem(r.headers().firstValue("RateLimit").orElseThrow()).getParams().get("r").get())
          .isEqualTo(0L);
    }
    assertThat(registry.get(HttpRateLimit.METRIC).tags("policy", "dry", "result", "shadow_rejected").counter().count())
        .isEqualTo(2);
  }

  @Test
  void untrustedPeerCannotSpoofItsKey() {
    TestHttpServers.Running s = serve(HttpRateLimit.builder()
        .route(RequestMatcher.any(), limiter("ip", 2, Duration.ofSeconds(60)))
        .keyResolver(ClientIpResolver.builder().trustedProxies("10.0.0.0/8").build())
        .build());
    // the loopback peer is not trusted: a fresh X-Forwarded-For per request does not buy a fresh quota
    assertThat(send(get(s.uri("/x")).header("X-Forwarded-For", "1.1.1.1").build()).statusCode()).isEqualTo(200);
    assertThat(send(get(s.uri("/x")).header("X-Forwarded-For", "2.2.2.2").build()).statusCode()).isEqualTo(200);
    assertThat(send(get(s.uri("/x")).header("X-Forwarded-For", "3.3.3.3").build()).statusCode()).isEqualTo(429);
  }

  @Test
  void trustedProxyForwardsTheClientAddress() {
    TestHttpServers.Running s = serve(HttpRateLimit.builder()
        .route(RequestMatcher.any(), limiter("ip", 1, Duration.ofSeconds(60)))
        .keyResolver(ClientIpResolver.builder().trustedProxies("127.0.0.1/32").build())
        .build());
    assertThat(send(get(s.uri("/x")).header("X-Forwarded-For", "6.6.6.6, 198.51.100.1").build()).statusCode())
        .isEqualTo(200);
    assertThat(send(get(s.uri("/x")).header("X-Forwarded-For", "198.51.100.1").build()).statusCode())
        .isEqualTo(429);
    assertThat(send(get(s.uri("/x")).header("X-Forwarded-For", "198.51.100.2").build()).statusCode())
        .isEqualTo(200);
    // hostile headers never break the adapter: the key falls back to the trusted peer
    assertThat(send(get(s.uri("/x")).header("X-Forwarded-For", "garbage," + "x".repeat(6000)).build()).statusCode())
        .isEqualTo(200);
    assertThat(send(get(s.uri("/x")).header("X-Forwarded-For", ",,,[[\"\";;").build()).statusCode())
        .isEqualTo(429);
  }

  @Test
  void forwardedHeaderFromTrustedProxy() {
    TestHttpServers.Running s = serve(HttpRateLimit.builder()
        .route(RequestMatcher.any(), limiter("fwd", 1, Duration.ofSeconds(60)))
        .keyResolver(ClientIpResolver.builder().trustedProxies("127.0.0.1/32").proxyHeader(ProxyHeader.FORWARDED).build())
        .build());
    assertThat(send(get(s.uri("/x")).header("Forwarded", "for=\"[2001:db8:1:2::7]:4711\"").build()).statusCode())
        .isEqualTo(200);
    // same /64
    assertThat(send(get(s.uri("/x")).header("Forwarded", "for=\"[2001:db8:1:2::8]\"").build()).statusCode())
        .isEqualTo(429);
    assertThat(send(get(s.uri("/x")).header("Forwarded", "for=198.51.100.9;proto=https").build()).statusCode())
        .isEqualTo(200);
  }

  @Test
  void skipPredicateAndMethodRoutes() {
    TestHttpServers.Running s = serve(HttpRateLimit.builder()
        .route(RequestMatcher.path("/login").methods("POST"), limiter("login", 1, Duration.ofSeconds(60)))
        .route(RequestMatcher.any(), limiter("global", 100, Duration.ofSeconds(60)))
        .skip(r -> r.path().equals("/health"))
        .build());
    HttpResponse<String> health = send(get(s.uri("/health")).build());
    assertThat(health.headers().firstValue("RateLimit")).isEmpty();
    assertThat(send(get(s.uri("/login")).build()).statusCode()).isEqualTo(200);
    assertThat(send(get(s.uri("/login")).build()).statusCode()).isEqualTo(200);
    java.net.http.HttpRequest post = java.net.http.HttpRequest.newBuilder(s.uri("/login"))
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("user=a")).build();
    HttpResponse<String> first = send(post);
    assertThat(first.statusCode()).isEqualTo(200);
    List<ListElement<?>> both = Parser.parseList(first.headers().firstValue("RateLimit").orElseThrow()).get();
    assertThat(both).extracting(e -> (Object) ((Item<?>) e).get()).containsExactly("login", "global");
    HttpResponse<String> second = send(post);
    assertThat(second.statusCode()).isEqualTo(429);
    // the body of the rejected request was drained; the connection still serves
    assertThat(send(get(s.uri("/x")).build()).statusCode()).isEqualTo(200);
  }
}
