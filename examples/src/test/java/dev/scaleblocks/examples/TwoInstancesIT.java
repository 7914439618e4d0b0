package dev.scaleblocks.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.scaleblocks.core.testing.TestServices;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two demo instances on the real Redis and the real PostgreSQL primary + streaming replica (two
 * shards, each a database of their own created for this run): they enforce one global limit, and a
 * change made through one is served by the other at once (its L1 was invalidated).
 */
class TwoInstancesIT {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final String RUN = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
  private static final List<String> DATABASES = List.of("demo_" + RUN + "_0", "demo_" + RUN + "_1");

  private static DemoConfig base;

  @BeforeAll
  static void createDatabases() throws Exception {
    InetSocketAddress redis = TestServices.redis();
    try (Connection c =
            DriverManager.getConnection(TestServices.postgresPrimaryUrl("postgres"), TestServices.postgresUser(), null);
        Statement st = c.createStatement()) {
      for (String db : DATABASES) {
        st.execute("CREATE DATABASE " + db);
      }
    }
    // the standby replays the new databases; the instances read from it
    await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> {
      for (String db : DATABASES) {
        try (Connection c =
            DriverManager.getConnection(TestServices.postgresReplicaUrl(db), TestServices.postgresUser(), null)) {
          c.isValid(1);
        }
      }
      return true;
    });
    List<String> primaries = new ArrayList<>();
    List<String> replicas = new ArrayList<>();
    for (String db : DATABASES) {
      primaries.add(TestServices.postgresPrimaryUrl(db));
      replicas.add(TestServices.postgresReplicaUrl(db));
    }
    base =
        DemoConfig.defaults()
            .withPorts(0, 0)
            .withProducts(50)
            .withRedis("redis://" + redis.getHostString() + ":" + redis.getPort())
            .withDatabases(primaries, replicas, TestServices.postgresUser());
  }

  @AfterAll
  static void dropDatabases() throws SQLException {
    if (base == null) {
      return;
    }
    try (Connection c =
            DriverManager.getConnection(TestServices.postgresPrimaryUrl("postgres"), TestServices.postgresUser(), null);
        Statement st = c.createStatement()) {
      for (String db : DATABASES) {
        st.execute("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
      }
    }
  }

  private static DemoApp start(String instance, String namespace, int limit) throws Exception {
    return DemoApp.start(base.withInstance(instance + "-" + RUN).withNamespace(namespace).withLimit(limit, 3600));
  }

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void twoInstancesEnforceOneGlobalLimit() throws Exception {
    String namespace = "demo-it-limit-" + RUN;
    try (DemoApp a = start("a", namespace, 10);
        DemoApp b = start("b", namespace, 10)) {
      int admitted = 0;
      for (int i = 0; i < 6; i++) {
        admitted += get(a.jettyPort(), "/products/" + (i + 1)).statusCode() == 200 ? 1 : 0;
      }
      assertThat(admitted).isEqualTo(6);
      HttpResponse<String> fromB = get(b.nettyPort(), "/products/1");
      assertThat(fromB.statusCode()).isEqualTo(200);
      // b sees the permits a spent: one quota for the client across instances
      assertThat(fromB.headers().firstValue("X-RateLimit-Remaining")).hasValue("3");
      admitted++;
      int limited = 0;
      for (int i = 0; i < 10; i++) {
        int port = i % 2 == 0 ? b.jettyPort() : a.nettyPort();
        int status = get(port, "/products/" + (i + 1)).statusCode();
        admitted += status == 200 ? 1 : 0;
        limited += status == 429 ? 1 : 0;
      }
      assertThat(admitted).isEqualTo(10);
      assertThat(limited).isEqualTo(7);
    }
  }

  @Test
  void aChangeThroughOneInstanceIsServedByTheOtherAtOnce() throws Exception {
    String namespace = "demo-it-cache-" + RUN;
    try (DemoApp a = start("a", namespace, 10_000);
        DemoApp b = start("b", namespace, 10_000)) {
      HttpResponse<String> before = get(b.nettyPort(), "/products/7");
      assertThat(before.statusCode()).isEqualTo(200);
      assertThat(get(a.jettyPort(), "/products/7").statusCode()).isEqualTo(200);
      String etag = before.headers().firstValue("ETag").orElseThrow();
      // b's L1 holds product 7 now: a revalidation is answered 304 without a database read
      assertThat(get304(b.nettyPort(), "/products/7", etag)).isEqualTo(304);

      HttpResponse<String> post =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.jettyPort() + "/products/7/price?cents=777"))
                  .POST(HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(post.statusCode()).isEqualTo(200);

      // the invalidation travels over Redis pub/sub: b drops its L1 entry and reads a's write from L2
      await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(10)).untilAsserted(() -> {
        HttpResponse<String> after = get(b.nettyPort(), "/products/7");
        assertThat(after.body()).contains("\"priceCents\":777");
        assertThat(after.headers().firstValue("ETag")).isPresent().get().isNotEqualTo(etag);
      });
      assertThat(get304(b.jettyPort(), "/products/7", etag)).isEqualTo(200);

      // reads went to the replicas, writes to the primaries; /health says both shards serve
      HttpResponse<String> health = get(a.jettyPort(), "/health");
      assertThat(health.body()).contains("\"status\":\"UP\"").contains("1 replicas serving").contains("\"redis\":\"UP\"");
      get(a.jettyPort(), "/products/" + 20); // a miss everywhere: loaded from a replica
      assertThat(sum(get(a.jettyPort(), "/metrics").body(), "hikaricp_connections_acquire_seconds_count", "role=\"replica\""))
          .isGreaterThan(0);
    }
  }

  private static int get304(int port, String path, String etag) throws Exception {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).header("If-None-Match", etag).build(),
            HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }

  private static double sum(String scrape, String metric, String label) {
    double total = 0;
    Matcher m = Pattern.compile("(?m)^" + metric + "\\{([^}]*)\\} (\\S+)$").matcher(scrape);
    while (m.find()) {
      if (m.group(1).contains(label)) {
        total += Double.parseDouble(m.group(2));
      }
    }
    return total;
  }
}
