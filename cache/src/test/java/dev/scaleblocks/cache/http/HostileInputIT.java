package dev.scaleblocks.cache.http;

import dev.scaleblocks.core.http.HostileRequests;
import dev.scaleblocks.core.http.TestHttpServers;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The hostile-input suite ({@link HostileRequests}) against the caching adapters: conditional
 * requests and body-hash tags, as servlet filters in real Jetty and as Netty handlers right behind
 * a strict codec. Every case is a conditional write ({@code If-Match: "v1"}) that must not run.
 */
class HostileInputIT {

  private static final VersionedApp jettyApp = new VersionedApp();
  private static final VersionedApp nettyApp = new VersionedApp();
  private static TestHttpServers.Running jetty;
  private static TestHttpServers.Running netty;

  @BeforeAll
  static void start() {
    jetty = jettyApp.jetty();
    netty = nettyApp.netty();
  }

  @AfterAll
  static void stop() {
    jetty.close();
    netty.close();
  }

  static List<HostileRequests.Case> cases() {
    return HostileRequests.requestCases();
  }

  @ParameterizedTest(name = "jetty: {0}")
  @MethodSource("cases")
  void servletFilters(HostileRequests.Case c) {
    jettyApp.version.set(1);
    System.out.println("jetty  caching:     " + HostileRequests.check(jetty.port(), c, jettyApp.writes::get));
  }

  @ParameterizedTest(name = "netty: {0}")
  @MethodSource("cases")
  void nettyHandlers(HostileRequests.Case c) {
    nettyApp.version.set(1);
    System.out.println("netty  caching:     " + HostileRequests.check(netty.port(), c, nettyApp.writes::get));
  }
}
