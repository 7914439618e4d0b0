package dev.scaleblocks.cache.http;

import static dev.scaleblocks.core.http.TestHttpServers.get;
import static dev.scaleblocks.core.http.TestHttpServers.send;
import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.http.RequestMatcher;
import dev.scaleblocks.core.http.TestHttpServers;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What every HTTP caching adapter does in a real server with a real client. The application
 * answers {@code /items/*} with body "item-v{version}" and counts its renders; {@code /big/*}
 * answers {@code n} bytes where n is the last segment; {@code /own} sets its own ETag.
 */
public abstract class HttpCachingContract {

  protected final AtomicInteger renders = new AtomicInteger();
  protected final AtomicLong version = new AtomicLong(1);
  private TestHttpServers.Running server;

  /** Starts the app behind the conditional adapter (with {@code caching}) and the body-hash adapter. */
  protected abstract TestHttpServers.Running start(HttpCaching caching, BodyEtag bodyEtag);

  protected static final Instant WRITTEN = Instant.parse("2026-01-01T00:00:00Z");

  private TestHttpServers.Running serve() {
    HttpCaching caching = HttpCaching.builder()
        .route(RequestMatcher.path("/items/*"), CachePolicy.builder()
            .cacheControl(CacheControl.builder().publicCache().maxAge(Duration.ofMinutes(5)).build())
            .vary("Accept-Encoding")
            .validators(r -> Validators.ofVersion(version.get(), WRITTEN))
            .build())
        .build();
    server = start(caching, BodyEtag.maxBytes(1024));
    return server;
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void versionEtagAnswers304WithoutRendering() {
    TestHttpServers.Running s = serve();
    HttpResponse<String> first = send(get(s.uri("/items/1")).build());
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.body()).isEqualTo("item-v1");
    assertThat(first.headers().firstValue("ETag")).hasValue("\"v1\"");
    assertThat(first.headers().firstValue("Cache-Control")).hasValue("public, max-age=300");
    assertThat(first.headers().firstValue("Vary")).hasValue("Accept-Encoding");
    assertThat(first.headers().firstValue("Last-Modified")).hasValue("Thu, 01 Jan 2026 00:00:00 GMT");
    assertThat(renders.get()).isEqualTo(1);

    HttpResponse<String> notModified = send(get(s.uri("/items/1")).header("If-None-Match", "W/\"v1\"").build());
    assertThat(notModified.statusCode()).isEqualTo(304);
    assertThat(notModified.body()).isEmpty();
    assertThat(notModified.headers().firstValue("ETag")).hasValue("\"v1\"");
    assertThat(renders.get()).isEqualTo(1);

    HttpResponse<Void> head = TestHttpServers.client().sendAsync(
        HttpRequest.newBuilder(s.uri("/items/1")).method("HEAD", HttpRequest.BodyPublishers.noBody())
            .header("If-None-Match", "\"x\", \"v1\"").build(), HttpResponse.BodyHandlers.discarding()).join();
    assertThat(head.statusCode()).isEqualTo(304);

    HttpResponse<String> ims = send(get(s.uri("/items/1")).header("If-Modified-Since", "Thu, 01 Jan 2026 00:00:00 GMT").build());
    assertThat(ims.statusCode()).isEqualTo(304);
    assertThat(renders.get()).isEqualTo(1);

    version.set(2);
    HttpResponse<String> changed = send(get(s.uri("/items/1")).header("If-None-Match", "\"v1\"").build());
    assertThat(changed.statusCode()).isEqualTo(200);
    assertThat(changed.body()).isEqualTo("item-v2");
    assertThat(changed.headers().firstValue("ETag")).hasValue("\"v2\"");
  }

  @Test
  void ifMatchOnUnsafeMethodsAnswers412() {
    TestHttpServers.Running s = serve();
    HttpRequest stale = HttpRequest.newBuilder(s.uri("/items/1")).PUT(HttpRequest.BodyPublishers.ofString("new"))
        .header("If-Match", "\"v0\"").build();
    assertThat(send(stale).statusCode()).isEqualTo(412);
    HttpRequest weak = HttpRequest.newBuilder(s.uri("/items/1")).PUT(HttpRequest.BodyPublishers.ofString("new"))
        .header("If-Match", "W/\"v1\"").build();
    assertThat(send(weak).statusCode()).isEqualTo(412);
    assertThat(renders.get()).isZero();
    HttpRequest current = HttpRequest.newBuilder(s.uri("/items/1")).PUT(HttpRequest.BodyPublishers.ofString("new"))
        .header("If-Match", "\"v1\"").build();
    assertThat(send(current).statusCode()).isEqualTo(200);
    assertThat(renders.get()).isEqualTo(1);
  }

  @Test
  void bodyHashEtagUnderTheCap() {
    TestHttpServers.Running s = serve();
    HttpResponse<String> r = send(get(s.uri("/big/100")).build());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).hasSize(100);
    String etag = r.headers().firstValue("ETag").orElseThrow();
    assertThat(EntityTag.parse(etag)).isNotNull().matches(t -> !t.isWeak());
    assertThat(r.headers().firstValue("Content-Length")).hasValue("100");
    HttpResponse<String> again = send(get(s.uri("/big/100")).header("If-None-Match", etag).build());
    assertThat(again.statusCode()).isEqualTo(304);
    assertThat(again.body()).isEmpty();
    assertThat(send(get(s.uri("/big/100")).header("If-None-Match", "\"other\"").build()).statusCode()).isEqualTo(200);
  }

  @Test
  void bodyOverTheCapStreamsThroughUntagged() {
    TestHttpServers.Running s = serve();
    HttpResponse<String> r = send(get(s.uri("/big/200000")).build());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).hasSize(200_000).matches("x+");
    assertThat(r.headers().firstValue("ETag")).isEmpty();
  }

  @Test
  void applicationEtagIsNeverOverwritten() {
    TestHttpServers.Running s = serve();
    HttpResponse<String> r = send(get(s.uri("/own")).build());
    assertThat(r.headers().firstValue("ETag")).hasValue("\"mine\"");
    assertThat(r.body()).isEqualTo("own");
  }
}
