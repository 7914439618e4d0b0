package dev.scaleblocks.ratelimit.http;

import static dev.scaleblocks.core.http.TestHttpServers.get;
import static dev.scaleblocks.core.http.TestHttpServers.send;
import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.http.RequestMatcher;
import dev.scaleblocks.core.http.TestHttpServers;
import dev.scaleblocks.ratelimit.Algorithm;
import dev.scaleblocks.ratelimit.RateLimitPolicy;
import dev.scaleblocks.ratelimit.RateLimiter;
import dev.scaleblocks.ratelimit.TenantPolicies;
import dev.scaleblocks.ratelimit.throttle.Throttle;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.greenbytes.http.sfv.Item;
import org.greenbytes.http.sfv.ListElement;
import org.greenbytes.http.sfv.Parser;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every rate-limit adapter shows in a real server with a real client and the real
 * limiters. Subclasses start the server with the adapter configured by an {@link HttpRateLimit}
 * (the application answers {@code 200 ok} on every path but {@code /fail/**}, where it answers
 * {@code 502 ok}) and choose the store: local or Redis
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

  /** Real plans of these policies (the first the default), closed after the test. */
  protected TenantPolicies plans(String name, RateLimitPolicy... policies) {
    if (limiters == null) {
      limiters = newLimiters();
    }
    return limiters.plans(name, policies);
  }

  /** A real token-bucket limiter of {@code quota} per {@code window}, closed after the test. */
  protected RateLimiter limiter(String name, long quota, Duration window) {
    if (limiters == null) {
      limiters = newLimiters();
    }
    return limiters.create(name, quota, window);
  }

  private static long secondsSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000_000L;
  }

  private static Item<?> onlyItem(String field) {
    List<ListElement<?>> items = Parser.parseList(field).get();
    assertThat(items).hasSize(1);
    return (Item<?>) items.get(0);
  }

  /**
   * With {@code refundWhen(serverErrors())} a request the application answers with 502 gives its
   * permit back, so failures never use up the quota, while a 200 spends it.
   */
  @Test
  void aServerErrorRefundsItsPermitAndASuccessDoesNot() {
    RefundWatch watch = new RefundWatch(limiter("refunds", 2, Duration.ofSeconds(60)));
    TestHttpServers.Running s = serve(HttpRateLimit.builder()
        .route(RequestMatcher.path("/**"), watch)
        .refundWhen(HttpRateLimit.serverErrors())
        .build());
    for (int i = 1; i <= 5; i++) {
      assertThat(send(get(s.uri("/fail/" + i)).build()).statusCode()).as("failure %s", i)
          .isEqualTo(502);
      watch.awaitRefunds(i);
    }
    assertThat(watch.given()).as("every failure refunded").isEqualTo(5);
    assertThat(send(get(s.uri("/ok/1")).build()).statusCode()).isEqualTo(200);
    assertThat(send(get(s.uri("/ok/2")).build()).statusCode()).isEqualTo(200);
    assertThat(send(get(s.uri("/ok/3")).build()).statusCode()).as("the 200s spent the quota")
        .isEqualTo(429);
    assertThat(watch.asked()).as("no refund asked for a 200 or a 429").isEqualTo(5);
  }

  @Test
  void aServerErrorSpendsItsPermitWithoutTheOption() {
    RefundWatch off = new RefundWatch(limiter("no-refunds", 1, Duration.ofSeconds(60)));
    TestHttpServers.Running plain = serve(HttpRateLimit.builder()
        .route(RequestMatcher.path("/**"), off).build());
    assertThat(send(get(plain.uri("/fail/1")).build()).statusCode()).isEqualTo(502);
    assertThat(send(get(plain.uri("/fail/2")).build()).statusCode()).as("no refund by default")
        .isEqualTo(429);
    assertThat(off.asked()).isZero();
  }

  /** A limiter that remembers the refunds asked of it, so that a test can wait for them. */
  private static final class RefundWatch implements RateLimiter {
    private final RateLimiter limiter;
    private final List<CompletableFuture<Boolean>> refunds =
        java.util.Collections.synchronizedList(new ArrayList<>());

    RefundWatch(RateLimiter limiter) {
      this.limiter = limiter;
    }

    @Override
    public dev.scaleblocks.ratelimit.Decision tryAcquire(String key, long permits) {
      return limiter.tryAcquire(key, permits);
    }

    @Override
    public CompletableFuture<dev.scaleblocks.ratelimit.Decision> tryAcquireAsync(
        String key, long permits) {
      return limiter.tryAcquireAsync(key, permits);
    }

    @Override
    public dev.scaleblocks.ratelimit.Decision acquire(String key, long permits, Duration maxWait)
        throws InterruptedException {
      return limiter.acquire(key, permits, maxWait);
    }

    @Override
    public CompletableFuture<Boolean> refundAsync(dev.scaleblocks.ratelimit.Decision decision) {
      CompletableFuture<Boolean> f = limiter.refundAsync(decision);
      refunds.add(f);
      return f;
    }

    @Override
    public dev.scaleblocks.ratelimit.RateLimitPolicy policy() {
      return limiter.policy();
    }

    int asked() {
      return refunds.size();
    }

    long given() {
      synchronized (refunds) {
        return refunds.stream().filter(f -> f.join()).count();
      }
    }

    /** Waits until {@code n} refunds were asked and every one has been made. */
    void awaitRefunds(int n) {
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> asked() >= n);
      synchronized (refunds) {
        refunds.forEach(f -> f.orTimeout(10, TimeUnit.SECONDS).join());
      }
    }
  }

  @Test
  void rejectsWith429AfterTheQuotaWithStructuredHeaders() {
    long started = System.nanoTime(); // t counts down from the first admission: allow for a slow machine
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
      assertThat((Long) rl.getParams().get("t").get()).isBetween(19L - secondsSince(started), 20L);
      assertThat(ok.headers().firstValue("Retry-After")).isEmpty();
    }
    HttpResponse<String> rejected = send(get(s.uri("/api/items")).build());
    assertThat(rejected.statusCode()).isEqualTo(429);
    assertThat(rejected.headers().firstValue("Content-Type")).hasValueSatisfying(
        v -> assertThat(v).startsWith("application/problem+json"));
    assertThat(rejected.body()).contains("\"status\":429").contains("\"title\":\"Too Many Requests\"");
    // the next permit comes in 20 s
    assertThat(Long.parseLong(rejected.headers().firstValue("Retry-After").orElseThrow()))
        .isBetween(19L - secondsSince(started), 20L);
    Item<?> policy = onlyItem(rejected.headers().firstValue("RateLimit-Policy").orElseThrow());
    assertThat(policy.get()).isEqualTo("api");
    assertThat(policy.getParams().get("q").get()).isEqualTo(3L);
    assertThat(policy.getParams().get("w").get()).isEqualTo(60L);
    Item<?> rl = onlyItem(rejected.headers().firstValue("RateLimit").orElseThrow());
    assertThat(rl.get()).isEqualTo("api");
    assertThat(rl.getParams().get("r").get()).isEqualTo(0L);
    assertThat((Long) rl.getParams().get("t").get()).isBetween(19L - secondsSince(started), 20L)
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
  void aThrottledRouteDelaysRequestsOverTheRateInsteadOfRefusingThem() throws Exception {
    // one permit per 200 ms, up to 10 waiting: six requests at once pass one by one, over ~1 s
    try (Throttle throttle = Throttle.builder("paced", limiter("paced", 1, Duration.ofMillis(200)))
        .queueCapacity(10).maxDelay(Duration.ofSeconds(10)).build()) {
      TestHttpServers.Running s = serve(HttpRateLimit.builder()
          .route(RequestMatcher.path("/paced/**"), throttle)
          .telemetry(Telemetry.of(registry))
          .build());
      HttpClient client = HttpClient.newHttpClient();
      long start = System.nanoTime();
      List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        responses.add(client.sendAsync(get(s.uri("/paced/" + i)).build(), HttpResponse.BodyHandlers.ofString()));
      }
      List<Integer> statuses = new ArrayList<>();
      for (CompletableFuture<HttpResponse<String>> r : responses) {
        HttpResponse<String> response = r.get(20, TimeUnit.SECONDS);
        statuses.add(response.statusCode());
        assertThat(response.headers().firstValue("RateLimit-Policy")).isPresent();
      }
      long tookMillis = (System.nanoTime() - start) / 1_000_000;
      System.out.printf("throttled route: 6 requests on 1 per 200 ms answered in %d ms%n", tookMillis);
      assertThat(statuses).containsOnly(200);
      // five waited for a refill each: at least ~1 s (a generous 700 ms bound), never refused
      assertThat(tookMillis).isGreaterThanOrEqualTo(700);
    }
  }

  @Test
  void aThrottledRouteRefusesWhatDoesNotFitItsQueue() throws Exception {
    // one permit per second, two may wait: of six at once, one passes, two wait, the rest are refused
    try (Throttle throttle = Throttle.builder("queued", limiter("queued", 1, Duration.ofSeconds(1)))
        .queueCapacity(2).maxDelay(Duration.ofSeconds(10)).build()) {
      TestHttpServers.Running s = serve(HttpRateLimit.builder()
          .route(RequestMatcher.path("/queued/**"), throttle)
          .build());
      HttpClient client = HttpClient.newHttpClient();
      List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        responses.add(client.sendAsync(get(s.uri("/queued/" + i)).build(), HttpResponse.BodyHandlers.ofString()));
      }
      int ok = 0;
      int refused = 0;
      for (CompletableFuture<HttpResponse<String>> r : responses) {
        HttpResponse<String> response = r.get(20, TimeUnit.SECONDS);
        if (response.statusCode() == 200) {
          ok++;
        } else {
          assertThat(response.statusCode()).isEqualTo(429);
          assertThat(response.headers().firstValue("Retry-After")).isPresent();
          refused++;
        }
      }
      System.out.printf("throttled route, queue of 2: %d passed, %d refused%n", ok, refused);
      assertThat(ok).as("one at once and the two queued (a fourth only if the six arrived over a second)")
          .isBetween(3, 4);
      assertThat(refused).isEqualTo(6 - ok);
    }
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

  /** An API key selects its account's plan; an unknown key gets the default plan; an update applies at once. */
  @Test
  void anApiKeySelectsItsTenantsPlan() {
    TenantPolicies tenants = plans("tenants",
        RateLimitPolicy.builder("free").algorithm(Algorithm.GCRA).limit(2, Duration.ofHours(1)).build(),
        RateLimitPolicy.builder("pro").algorithm(Algorithm.GCRA).limit(4, Duration.ofHours(1)).build());
    Map<String, String> accounts = Map.of("key-free", "free", "key-pro", "pro");
    TestHttpServers.Running s = serve(HttpRateLimit.builder()
        .route(RequestMatcher.any(), tenants, PlanResolver.header("X-Api-Key", accounts::get))
        .keyResolver(KeyResolver.apiKey("X-Api-Key"))
        .telemetry(Telemetry.of(registry))
        .build());
    for (String key : List.of("key-free", "key-pro", "key-unknown")) {
      long quota = key.equals("key-pro") ? 4 : 2;
      for (int i = 0; i < quota; i++) {
        HttpResponse<String> ok = send(get(s.uri("/api")).header("X-Api-Key", key).build());
        assertThat(ok.statusCode()).as("%s request %s", key, i + 1).isEqualTo(200);
        Item<?> policy = onlyItem(ok.headers().firstValue("RateLimit-Policy").orElseThrow());
        assertThat(policy.get()).isEqualTo(key.equals("key-pro") ? "pro" : "free");
        assertThat(policy.getParams().get("q").get()).isEqualTo(quota);
      }
      assertThat(send(get(s.uri("/api")).header("X-Api-Key", key).build()).statusCode())
          .as(key).isEqualTo(429);
    }
    tenants.update(RateLimitPolicy.builder("pro").algorithm(Algorithm.GCRA)
        .limit(6, Duration.ofHours(1)).build());
    for (int i = 0; i < 2; i++) {
      HttpResponse<String> ok = send(get(s.uri("/api")).header("X-Api-Key", "key-pro").build());
      assertThat(ok.statusCode()).as("pro raised to 6, request %s", 5 + i).isEqualTo(200);
      assertThat(onlyItem(ok.headers().firstValue("RateLimit-Policy").orElseThrow()).getParams()
          .get("q").get()).isEqualTo(6L);
    }
    assertThat(send(get(s.uri("/api")).header("X-Api-Key", "key-pro").build()).statusCode())
        .isEqualTo(429);
    assertThat(registry.get(HttpRateLimit.METRIC).tags("policy", "pro", "result", "allowed")
        .counter().count()).isEqualTo(6);
    assertThat(registry.get(HttpRateLimit.METRIC).tags("policy", "free", "result", "rejected")
        .counter().count()).isEqualTo(2);
  }
}
