package dev.scaleblocks.cache.http;

import static dev.scaleblocks.core.http.TestHttpServers.get;
import static dev.scaleblocks.core.http.TestHttpServers.send;
import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.cache.CacheEntry;
import dev.scaleblocks.cache.TieredCache;
import dev.scaleblocks.core.http.RequestMatcher;
import dev.scaleblocks.core.http.TestHttpServers;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * HTTP caching with a real {@link TieredCache} (L1 only) as the source of version ETags, in a real
 * server with a real client. The application serves {@code /items/{id}}: GET and HEAD read the
 * item through the cache (loading from a map standing in for the database) and count a render;
 * PUT stores the body in the database and the cache. The conditional adapter gets its validators
 * from the cache with {@link ValidatorSource#fromCache}.
 */
public abstract class TieredCacheEtagContract {

  /** What the application answers. */
  public record Answer(int status, String body, @Nullable String etag) {}

  /** The application, as the adapters' tests call it with each request. */
  @FunctionalInterface
  public interface App {
    Answer handle(String method, String path, String body);
  }

  protected final AtomicInteger renders = new AtomicInteger();
  protected final Map<String, String> database = new ConcurrentHashMap<>();
  private @Nullable TieredCache<String, String> items;
  private TestHttpServers.@Nullable Running server;

  /** Starts {@code app} behind the conditional adapter configured by {@code caching}. */
  protected abstract TestHttpServers.Running start(HttpCaching caching, App app);

  /** The caching configuration of {@code /items/*} with validators from {@code items}. */
  public static HttpCaching caching(TieredCache<String, String> items) {
    return HttpCaching.builder()
        .route(RequestMatcher.path("/items/*"), CachePolicy.builder()
            .validators(ValidatorSource.fromCache(items, request -> id(request.path())))
            .build())
        .build();
  }

  private static String id(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  /** The application, framework-free: the adapters' tests translate requests and answers. */
  public static Answer handle(TieredCache<String, String> items, Map<String, String> database,
      AtomicInteger renders, String method, String path, String body) {
    String id = id(path);
    if (method.equals("PUT")) {
      database.put(id, body);
      items.put(id, body);
      CacheEntry<String> written = items.getEntryIfPresent(id);
      return new Answer(200, "stored", written == null ? null : EntityTag.ofVersion(written.version()).toString());
    }
    renders.incrementAndGet();
    CacheEntry<String> entry = items.getEntry(id, database::get);
    if (entry == null) {
      return new Answer(404, "no such item", null);
    }
    return new Answer(200, entry.value(), EntityTag.ofVersion(entry.version()).toString());
  }


  private TieredCache<String, String> cache() {
    if (items == null) {
      throw new IllegalStateException("not started");
    }
    return items;
  }

  @BeforeEach
  void startServer() {
    database.put("a", "apple");
    database.put("b", "banana");
    items = TieredCache.builder().name("http-etag-" + UUID.randomUUID()).build();
    TieredCache<String, String> cache = items;
    server = start(caching(cache), (method, path, body) -> handle(cache, database, renders, method, path, body));
  }

  @AfterEach
  void stopServer() {
    if (server != null) {
      server.close();
    }
    if (items != null) {
      items.close();
    }
  }

  private TestHttpServers.Running server() {
    if (server == null) {
      throw new IllegalStateException("not started");
    }
    return server;
  }

  private String currentEtag(String id) {
    CacheEntry<String> entry = cache().getEntryIfPresent(id);
    assertThat(entry).as("cached entry of " + id).isNotNull();
    return EntityTag.ofVersion(entry.version()).toString();
  }

  private static HttpResponse<Void> head(HttpRequest.Builder request) {
    return TestHttpServers.client().sendAsync(
        request.method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.discarding()).join();
  }

  private static HttpRequest put(TestHttpServers.Running s, String path, String body, String ifMatch) {
    return HttpRequest.newBuilder(s.uri(path)).PUT(HttpRequest.BodyPublishers.ofString(body))
        .header("If-Match", ifMatch).build();
  }

  @Test
  void entryVersionIsTheEtagAndRevalidationSkipsRendering() {
    TestHttpServers.Running s = server();
    HttpResponse<String> first = send(get(s.uri("/items/a")).build());
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.body()).isEqualTo("apple");
    String etag = first.headers().firstValue("ETag").orElseThrow();
    assertThat(etag).isEqualTo(currentEtag("a")).matches("\"v[0-9a-f]+\"");
    assertThat(renders.get()).isEqualTo(1);

    HttpResponse<String> notModified = send(get(s.uri("/items/a")).header("If-None-Match", etag).build());
    assertThat(notModified.statusCode()).isEqualTo(304);
    assertThat(notModified.body()).isEmpty();
    assertThat(notModified.headers().firstValue("ETag")).hasValue(etag);
    assertThat(notModified.headers().firstValue("Last-Modified")).isPresent();
    assertThat(renders.get()).as("answered from the cache entry, not rendered").isEqualTo(1);

    HttpResponse<Void> headNotModified = head(get(s.uri("/items/a")).header("If-None-Match", etag));
    assertThat(headNotModified.statusCode()).isEqualTo(304);
    assertThat(renders.get()).isEqualTo(1);
    HttpResponse<Void> head = head(get(s.uri("/items/a")));
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.headers().firstValue("ETag")).hasValue(etag);
    assertThat(head.headers().firstValue("Content-Length")).hasValue("5");
    assertThat(renders.get()).isEqualTo(2);

    // a write of a new value (by this or any instance) makes a new version, hence a new ETag
    cache().put("a", "apricot");
    String newEtag = currentEtag("a");
    assertThat(newEtag).isNotEqualTo(etag);
    HttpResponse<String> changed = send(get(s.uri("/items/a")).header("If-None-Match", etag).build());
    assertThat(changed.statusCode()).isEqualTo(200);
    assertThat(changed.body()).isEqualTo("apricot");
    assertThat(changed.headers().firstValue("ETag")).hasValue(newEtag);
    assertThat(renders.get()).isEqualTo(3);
    assertThat(send(get(s.uri("/items/a")).header("If-None-Match", newEtag).build()).statusCode()).isEqualTo(304);
    assertThat(renders.get()).isEqualTo(3);
  }

  @Test
  void ifMatchWithAStaleEtagOnPutAnswers412() {
    TestHttpServers.Running s = server();
    String v1 = send(get(s.uri("/items/b")).build()).headers().firstValue("ETag").orElseThrow();

    HttpResponse<String> stored = send(put(s, "/items/b", "blueberry", v1));
    assertThat(stored.statusCode()).isEqualTo(200);
    String v2 = stored.headers().firstValue("ETag").orElseThrow();
    assertThat(v2).isNotEqualTo(v1).isEqualTo(currentEtag("b"));

    // a second writer still holding v1 loses: nothing runs, nothing changes
    int rendersBefore = renders.get();
    HttpResponse<String> lost = send(put(s, "/items/b", "blackberry", v1));
    assertThat(lost.statusCode()).isEqualTo(412);
    assertThat(renders.get()).isEqualTo(rendersBefore);
    assertThat(database).containsEntry("b", "blueberry");
    assertThat(cache().getIfPresent("b")).isEqualTo("blueberry");

    HttpResponse<String> current = send(get(s.uri("/items/b")).header("If-None-Match", v2).build());
    assertThat(current.statusCode()).isEqualTo(304);
    HttpResponse<String> read = send(get(s.uri("/items/b")).header("If-None-Match", v1).build());
    assertThat(read.statusCode()).isEqualTo(200);
    assertThat(read.body()).isEqualTo("blueberry");
  }

  @Test
  void uncachedOrUnknownItemsProceedUnconditionally() {
    TestHttpServers.Running s = server();
    // nothing cached yet: the validators are unknown, so If-None-Match cannot match and the app runs
    HttpResponse<String> r = send(get(s.uri("/items/a")).header("If-None-Match", "\"stale\"").build());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("apple");
    assertThat(send(get(s.uri("/items/zzz")).build()).statusCode()).isEqualTo(404);
    assertThat(renders.get()).isEqualTo(2);
  }
}
