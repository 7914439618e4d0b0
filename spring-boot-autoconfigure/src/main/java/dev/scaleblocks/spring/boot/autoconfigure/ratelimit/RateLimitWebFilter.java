package dev.scaleblocks.spring.boot.autoconfigure.ratelimit;

import dev.scaleblocks.core.http.HttpRequestView;
import dev.scaleblocks.ratelimit.http.HttpRateLimit;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.core.Ordered;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * WebFlux rate limiting over an {@link HttpRateLimit}: the same routes, headers and rejections as
 * the servlet filter, decided with {@link HttpRateLimit.Pending#decideAsync()}, so the event loop
 * never waits for Redis (with Lettuce the decision completes on Lettuce's I/O thread; with Jedis on
 * the limiter's store threads). A principal key sees no user: {@code exchange.getPrincipal()} is
 * asynchronous and key resolution is not, so principal keys fall back to the client IP here.
 *
 * <p>Thread-safe; one instance serves every request.
 */
public final class RateLimitWebFilter implements WebFilter, Ordered {

  private static final MediaType PROBLEM = MediaType.parseMediaType("application/problem+json");

  private final HttpRateLimit rateLimit;
  private final int order;

  public RateLimitWebFilter(HttpRateLimit rateLimit, int order) {
    this.rateLimit = rateLimit;
    this.order = order;
  }

  @Override
  public int getOrder() {
    return order;
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    HttpRateLimit.Pending pending = rateLimit.prepare(new View(exchange.getRequest()));
    if (pending == null) {
      return chain.filter(exchange);
    }
    return Mono.fromFuture(pending::decideAsync).flatMap(outcome -> {
      ServerHttpResponse response = exchange.getResponse();
      for (Map.Entry<String, String> h : outcome.headers()) {
        response.getHeaders().set(h.getKey(), h.getValue());
      }
      if (!outcome.rejected()) {
        return chain.filter(exchange);
      }
      byte[] body = outcome.problemBody().getBytes(StandardCharsets.UTF_8);
      response.setStatusCode(HttpStatusCode.valueOf(outcome.status()));
      response.getHeaders().setContentType(PROBLEM);
      response.getHeaders().setContentLength(body.length);
      return response.writeWith(Mono.just(response.bufferFactory().wrap(body)));
    });
  }

  /** The request as key resolvers and matchers see it. */
  private static final class View implements HttpRequestView {
    private final ServerHttpRequest request;

    View(ServerHttpRequest request) {
      this.request = request;
    }

    @Override
    public String method() {
      return request.getMethod().name();
    }

    @Override
    public String path() {
      return request.getPath().pathWithinApplication().value();
    }

    @Override
    public @Nullable String header(String name) {
      return request.getHeaders().getFirst(name);
    }

    @Override
    public List<String> headers(String name) {
      List<String> values = request.getHeaders().get(name);
      return values == null ? List.of() : values;
    }

    @Override
    public @Nullable String remoteAddress() {
      InetSocketAddress remote = request.getRemoteAddress();
      InetAddress address = remote == null ? null : remote.getAddress();
      return address == null ? null : address.getHostAddress();
    }
  }
}
