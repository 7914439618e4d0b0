package dev.scaleblocks.cache.servlet;

import static dev.scaleblocks.core.http.TestHttpServers.get;
import static dev.scaleblocks.core.http.TestHttpServers.send;
import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.cache.TieredCache;
import dev.scaleblocks.cache.http.HttpCaching;
import dev.scaleblocks.cache.http.TieredCacheEtagContract;
import dev.scaleblocks.core.codec.Codec;
import dev.scaleblocks.core.http.TestHttpServers;
import dev.scaleblocks.core.testing.TestServices;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

class TieredCacheEtagFilterIT extends TieredCacheEtagContract {

  @Override
  protected TestHttpServers.Running start(HttpCaching caching, App app) {
    return jetty(caching, app);
  }

  static TestHttpServers.Running jetty(HttpCaching caching, App app) {
    return TestHttpServers.jetty(ctx -> {
      ctx.addFilter(new FilterHolder(new ConditionalRequestFilter(caching)), "/*", EnumSet.of(DispatcherType.REQUEST));
      ctx.addServlet(new ServletHolder(new AppServlet(app)), "/");
    });
  }

  /**
   * L1 + the real Redis, two instances of the service (each its own cache and Jetty) sharing it:
   * the version, hence the ETag, is the same on both, so an ETag from one revalidates at the other
   * without rendering; a write at one reaches the other's L1 through the invalidation channel and
   * changes the ETag there. Runs in Jetty: an L1 miss costs a Redis GET on the request thread.
   */
  @Test
  void l1AndRedisGiveTheSameEtagOnEveryInstance() {
    InetSocketAddress address = TestServices.redis();
    String name = "http-etag-" + UUID.randomUUID();
    Map<String, String> db = new ConcurrentHashMap<>(Map.of("c", "cherry"));
    AtomicInteger rendersA = new AtomicInteger();
    AtomicInteger rendersB = new AtomicInteger();
    try (UnifiedJedis redisA = RedisClient.create(address.getHostString(), address.getPort());
        UnifiedJedis redisB = RedisClient.create(address.getHostString(), address.getPort());
        TieredCache<String, String> cacheA = TieredCache.builder().name(name)
            .keyCodec(Codec.utf8()).valueCodec(Codec.utf8()).redis(redisA).build();
        TieredCache<String, String> cacheB = TieredCache.builder().name(name)
            .keyCodec(Codec.utf8()).valueCodec(Codec.utf8()).redis(redisB).build();
        TestHttpServers.Running a = jetty(caching(cacheA), (m, p, b) -> handle(cacheA, db, rendersA, m, p, b));
        TestHttpServers.Running b = jetty(caching(cacheB), (m, p, body) -> handle(cacheB, db, rendersB, m, p, body))) {
      HttpResponse<String> first = send(get(a.uri("/items/c")).build());
      assertThat(first.statusCode()).isEqualTo(200);
      assertThat(first.body()).isEqualTo("cherry");
      String etag = first.headers().firstValue("ETag").orElseThrow();

      // B's L1 is cold: its validators come from the L2 entry A wrote, with the same version
      HttpResponse<String> atB = send(get(b.uri("/items/c")).header("If-None-Match", etag).build());
      assertThat(atB.statusCode()).isEqualTo(304);
      assertThat(atB.headers().firstValue("ETag")).hasValue(etag);
      assertThat(rendersB.get()).isZero();
      assertThat(rendersA.get()).isEqualTo(1);

      // a write at B: A's L1 is invalidated and A's next revalidation gets the new value
      cacheB.put("c", "cranberry");
      Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
        HttpResponse<String> atA = send(get(a.uri("/items/c")).header("If-None-Match", etag).build());
        assertThat(atA.statusCode()).isEqualTo(200);
        assertThat(atA.body()).isEqualTo("cranberry");
        assertThat(atA.headers().firstValue("ETag")).isPresent().get().isNotEqualTo(etag);
      });
      String newEtag = send(get(a.uri("/items/c")).build()).headers().firstValue("ETag").orElseThrow();
      int rendered = rendersA.get();
      assertThat(send(get(a.uri("/items/c")).header("If-None-Match", newEtag).build()).statusCode()).isEqualTo(304);
      assertThat(send(get(b.uri("/items/c")).header("If-None-Match", newEtag).build()).statusCode()).isEqualTo(304);
      assertThat(rendersA.get()).isEqualTo(rendered);
      assertThat(rendersB.get()).isZero();
    }
  }

  static final class AppServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private final transient App app;

    AppServlet(App app) {
      this.app = app;
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      String body = new String(req.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      Answer answer = app.handle(req.getMethod(), req.getRequestURI(), body);
      resp.setStatus(answer.status());
      if (answer.etag() != null) {
        resp.setHeader("ETag", answer.etag());
      }
      byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
      resp.setContentType("text/plain");
      resp.setContentLength(bytes.length);
      if (!req.getMethod().equals("HEAD")) {
        resp.getOutputStream().write(bytes);
      }
    }
  }
}
