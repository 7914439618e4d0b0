package dev.scaleblocks.examples;

import dev.scaleblocks.core.http.HostileRequests;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The hostile-input suite against the demo's two servers (Jetty: the servlet filters; Netty: the
 * library's safe pipeline): every case is a price change with a stale {@code If-Match}, which
 * must never be applied; the application "wrote" when the product's price became the hostile one.
 */
class HostileInputIT {

  private static final long JETTY_PRODUCT = 31;
  private static final long NETTY_PRODUCT = 32;
  private static final String HOSTILE_CENTS = "987654";
  private static DemoApp app;
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    app = DemoApp.start(DemoConfig.defaults().withPorts(0, 0).withLimit(100_000, 60));
  }

  @AfterAll
  static void stop() {
    if (app != null) {
      app.close();
    }
  }

  static Stream<Arguments> cases() {
    return Stream.of("jetty", "netty").flatMap(server -> {
      long id = server.equals("jetty") ? JETTY_PRODUCT : NETTY_PRODUCT;
      List<HostileRequests.Case> cases = HostileRequests.requestCases("/products/" + id + "/price?cents=" + HOSTILE_CENTS);
      return cases.stream().map(c -> Arguments.of(server, c));
    });
  }

  private static int written(int port, long id) {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/products/" + id))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      return r.body().contains("\"priceCents\":" + HOSTILE_CENTS + ",") ? 1 : 0;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("cases")
  void neverWrites(String server, HostileRequests.Case c) {
    int port = server.equals("jetty") ? app.jettyPort() : app.nettyPort();
    long id = server.equals("jetty") ? JETTY_PRODUCT : NETTY_PRODUCT;
    System.out.printf("demo %-5s %s%n", server, HostileRequests.check(port, c, () -> written(port, id)));
  }
}
