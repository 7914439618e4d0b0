package dev.scaleblocks.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The demo with its embedded defaults (in-memory H2 shards, L1-only cache, local limiter), started
 * in-process on free ports and checked over real HTTP, on Jetty and on Netty alike.
 */
class DemoIT {

  private static DemoApp app;
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    app = DemoApp.start(DemoConfig.defaults().withPorts(0, 0).withLimit(1000, 60));
  }

  @AfterAll
  static void stop() {
    if (app != null) {
      app.close();
    }
  }

  static Stream<Arguments> servers() {
    return Stream.of(Arguments.of("jetty"), Arguments.of("netty"));
  }

  private static URI uri(String server, String path) {
    int port = server.equals("jetty") ? app.jettyPort() : app.nettyPort();
    return URI.create("http://127.0.0.1:" + port + path);
  }

  static HttpResponse<String> get(String server, String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(server, path)).timeout(Duration.ofSeconds(10));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> post(String server, String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(uri(server, path))
            .timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @ParameterizedTest
  @MethodSource("servers")
  void productHasAnEtagAndRevalidatesWith304(String server) throws Exception {
    long id = server.equals("jetty") ? 11 : 12;
    HttpResponse<String> first = get(server, "/products/" + id);
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.body()).contains("\"id\":" + id).contains("\"shard\":\"shard-");
    String etag = first.headers().firstValue("ETag").orElseThrow();
    assertThat(etag).startsWith("\"");

    HttpResponse<String> revalidated = get(server, "/products/" + id, "If-None-Match", etag);
    assertThat(revalidated.statusCode()).isEqualTo(304);
    assertThat(revalidated.body()).isEmpty();
    assertThat(revalidated.headers().firstValue("ETag")).hasValue(etag);

    // a change makes the old tag stale: the next revalidation gets the new body
    assertThat(post(server, "/products/" + id + "/price?cents=4242").statusCode()).isEqualTo(200);
    HttpResponse<String> changed = get(server, "/products/" + id, "If-None-Match", etag);
    assertThat(changed.statusCode()).isEqualTo(200);
    assertThat(changed.body()).contains("\"priceCents\":4242");
    assertThat(changed.headers().firstValue("ETag")).isPresent().get().isNotEqualTo(etag);
  }

  @ParameterizedTest
  @MethodSource("servers")
  void aPriceChangeWithAStaleIfMatchIsRefusedWith412(String server) throws Exception {
    long id = server.equals("jetty") ? 21 : 22;
    String etag = get(server, "/products/" + id).headers().firstValue("ETag").orElseThrow();
    HttpResponse<String> current = send(server, "POST", "/products/" + id + "/price?cents=1234", etag);
    assertThat(current.statusCode()).isEqualTo(200);
    // etag is stale now: a second writer that read before the change is refused
    HttpResponse<String> stale = send(server, "POST", "/products/" + id + "/price?cents=9999", etag);
    assertThat(stale.statusCode()).isEqualTo(412);
    assertThat(get(server, "/products/" + id).body()).contains("\"priceCents\":1234");
    HttpResponse<String> head = send(server, "HEAD", "/products/" + id, null);
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.headers().firstValue("Content-Length")).get().isNotEqualTo("0");
  }

  private static HttpResponse<String> send(String server, String method, String path, String ifMatch)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri(server, path))
            .timeout(Duration.ofSeconds(10))
            .method(method, HttpRequest.BodyPublishers.noBody());
    if (ifMatch != null) {
      b.header("If-Match", ifMatch);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @ParameterizedTest
  @MethodSource("servers")
  void requestIdIsEchoedOrGenerated(String server) throws Exception {
    assertThat(get(server, "/products/1", "X-Request-Id", "demo-req-42").headers().firstValue("X-Request-Id"))
        .hasValue("demo-req-42");
    assertThat(get(server, "/products/1").headers().firstValue("X-Request-Id"))
        .isPresent()
        .get()
        .asString()
        .hasSizeGreaterThanOrEqualTo(16);
  }

  @ParameterizedTest
  @MethodSource("servers")
  void healthAndMetricsAnswer(String server) throws Exception {
    HttpResponse<String> health = get(server, "/health");
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).contains("\"status\":\"UP\"").contains("\"shard-0\":\"UP\"");

    get(server, "/products/3");
    HttpResponse<String> metrics = get(server, "/metrics");
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("Content-Type")).get().asString().startsWith("text/plain");
    assertThat(metrics.body())
        .contains("scaleblocks_http_server_requests_seconds_count{")
        .contains("uri=\"/products/{id}\"")
        .contains("hikaricp_connections");
  }

  @ParameterizedTest
  @MethodSource("servers")
  void rateLimitHeadersOnEveryProductResponse(String server) throws Exception {
    HttpResponse<String> r = get(server, "/products/5");
    assertThat(r.headers().firstValue("RateLimit-Policy")).get().asString().contains("per-ip").contains("q=1000");
    assertThat(r.headers().firstValue("RateLimit")).get().asString().contains("per-ip").contains("r=");
    assertThat(r.headers().firstValue("X-RateLimit-Limit")).hasValue("1000");
  }

  @ParameterizedTest
  @MethodSource("servers")
  void quotaExhaustedGets429WithRetryAfterButHealthStaysOpen(String server) throws Exception {
    try (DemoApp small =
        DemoApp.start(DemoConfig.defaults().withPorts(0, 0).withProducts(10).withLimit(3, 60))) {
      int port = server.equals("jetty") ? small.jettyPort() : small.nettyPort();
      String base = "http://127.0.0.1:" + port;
      for (int i = 0; i < 3; i++) {
        HttpResponse<String> ok = send(base + "/products/" + (i + 1));
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.headers().firstValue("X-RateLimit-Remaining")).hasValue(Integer.toString(2 - i));
      }
      HttpResponse<String> limited = send(base + "/products/1");
      assertThat(limited.statusCode()).isEqualTo(429);
      assertThat(limited.headers().firstValue("Retry-After")).isPresent();
      assertThat(limited.headers().firstValue("Content-Type")).get().asString().startsWith("application/problem+json");
      assertThat(limited.headers().firstValue("X-RateLimit-Remaining")).hasValue("0");
      assertThat(limited.headers().firstValue("X-Request-Id")).isPresent();
      // only /products/** is limited
      assertThat(send(base + "/health").statusCode()).isEqualTo(200);
      assertThat(send(base + "/metrics").body()).contains("scaleblocks_ratelimit_http_requests_total{");
    }
  }

  private static HttpResponse<String> send(String url) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @ParameterizedTest
  @MethodSource("servers")
  void productsAreSpreadOverTheShards(String server) throws Exception {
    HttpResponse<String> r = get(server, "/shards");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("\"shard-0\":").contains("\"shard-3\":");
    // 1000 products over 4 shards by Jump hash: none empty, none with most of them
    for (String part : r.body().replaceAll("[{}\"]", "").split(",")) {
      assertThat(Long.parseLong(part.split(":")[1])).as(part).isBetween(150L, 350L);
    }
  }

  @ParameterizedTest
  @MethodSource("servers")
  void unknownProductsAndBadIdsAreProblems(String server) throws Exception {
    assertThat(get(server, "/products/999999").statusCode()).isEqualTo(404);
    HttpResponse<String> bad = get(server, "/products/abc");
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.headers().firstValue("Content-Type")).hasValue("application/problem+json");
  }
}
