package dev.scaleblocks.cache.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.http.HostileRequests;
import dev.scaleblocks.core.http.TestHttpServers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * RFC 9110 conditional requests as both adapters answer them on the wire (raw sockets, so that
 * repeated field lines reach the server as sent): several {@code If-None-Match} / {@code If-Match}
 * lines are one list (§5.3), a conditional write answers with the new validator or none, and a 304
 * carries no {@code Content-Length} other than the 200's (§8.6, §15.4.5).
 */
class ConditionalConformanceIT {

  private static HostileRequests.Answer send(TestHttpServers.Running server, String request) {
    return HostileRequests.exchange(server.port(), request.getBytes(StandardCharsets.ISO_8859_1), Duration.ofSeconds(10));
  }

  private static TestHttpServers.Running start(String adapter, VersionedApp app) {
    return adapter.equals("jetty") ? app.jetty() : app.netty();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"jetty", "netty"})
  void severalIfNoneMatchLinesAreOneList(String adapter) {
    VersionedApp app = new VersionedApp();
    try (TestHttpServers.Running s = start(adapter, app)) {
      HostileRequests.Answer a = send(s, "GET /items/7 HTTP/1.1\r\nHost: t\r\nIf-None-Match: \"nope\"\r\n"
          + "If-None-Match: " + app.tag() + "\r\nConnection: close\r\n\r\n");
      assertThat(a.status()).as("%s", a).isEqualTo(304);
      HostileRequests.Answer body = send(s, "GET /body HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
      String tag = body.headers().get("etag");
      assertThat(tag).isNotNull();
      HostileRequests.Answer b = send(s, "GET /body HTTP/1.1\r\nHost: t\r\nIf-None-Match: \"nope\"\r\n"
          + "If-None-Match: W/\"other\", " + tag + "\r\nConnection: close\r\n\r\n");
      assertThat(b.status()).as("body-hash tag, %s", b).isEqualTo(304);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"jetty", "netty"})
  void severalIfMatchLinesAreOneList(String adapter) {
    VersionedApp app = new VersionedApp();
    try (TestHttpServers.Running s = start(adapter, app)) {
      HostileRequests.Answer none = send(s, "POST /items/7 HTTP/1.1\r\nHost: t\r\nIf-Match: \"nope\"\r\n"
          + "If-Match: \"v9\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      assertThat(none.status()).isEqualTo(412);
      assertThat(app.writes.get()).isZero();
      HostileRequests.Answer second = send(s, "POST /items/7 HTTP/1.1\r\nHost: t\r\nIf-Match: \"nope\"\r\n"
          + "If-Match: " + app.tag() + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      assertThat(second.status()).as("%s", second).isEqualTo(200);
      assertThat(app.writes.get()).isEqualTo(1);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"jetty", "netty"})
  void aConditionalWriteNeverAnswersWithThePreWriteTag(String adapter) {
    VersionedApp app = new VersionedApp();
    try (TestHttpServers.Running s = start(adapter, app)) {
      String before = app.tag();
      HostileRequests.Answer write = send(s, "POST /items/7 HTTP/1.1\r\nHost: t\r\nIf-Match: " + before
          + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      assertThat(write.status()).isEqualTo(200);
      String answered = write.headers().get("etag");
      assertThat(answered).as("the write's ETag").isNotEqualTo(before);
      HostileRequests.Answer read = send(s, "GET /items/7 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
      if (answered != null) {
        assertThat(answered).as("a tag on a write is the new representation's").isEqualTo(read.headers().get("etag"));
      }
      // a client that reuses what it was given (or re-reads) writes again without a 412
      String next = answered != null ? answered : read.headers().get("etag");
      HostileRequests.Answer again = send(s, "POST /items/7 HTTP/1.1\r\nHost: t\r\nIf-Match: " + next
          + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      assertThat(again.status()).isEqualTo(200);
      assertThat(app.writes.get()).isEqualTo(2);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"jetty", "netty"})
  void a304CarriesNoOtherContentLengthThanThe200(String adapter) {
    VersionedApp app = new VersionedApp();
    try (TestHttpServers.Running s = start(adapter, app)) {
      for (String path : new String[] {"/items/7", "/body"}) {
        HostileRequests.Answer ok = send(s, "GET " + path + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        assertThat(ok.status()).isEqualTo(200);
        String tag = ok.headers().get("etag");
        HostileRequests.Answer nm = send(s, "GET " + path + " HTTP/1.1\r\nHost: t\r\nIf-None-Match: " + tag
            + "\r\nConnection: close\r\n\r\n");
        System.out.printf("%-5s %-9s 200 %s / 304 %s%n", adapter, path, ok.headers(), nm.headers());
        assertThat(nm.status()).isEqualTo(304);
        assertThat(nm.headers().get("etag")).isEqualTo(tag);
        String length = nm.headers().get("content-length");
        if (length != null) {
          assertThat(length).as("304 Content-Length on %s", path).isEqualTo(ok.headers().get("content-length"));
        }
        assertThat(nm.headers()).doesNotContainKey("transfer-encoding");
      }
    }
  }
}
