package dev.scaleblocks.examples;

import dev.scaleblocks.core.http.HttpDates;
import dev.scaleblocks.core.http.HttpRequestView;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import dev.scaleblocks.cache.CacheEntry;
import dev.scaleblocks.cache.http.Validators;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo's routes, written once for both servers (the servlet and the Netty adapter turn a
 * request into a {@link HttpRequestView} and a {@link Reply} back into a response):
 *
 * <ul>
 *   <li>{@code GET /products/{id}}: the product as JSON, read through the two-tier cache, with an
 *       {@code ETag} from the cache entry's version (a matching {@code If-None-Match} is answered
 *       {@code 304} by the HTTP caching block before this code runs).
 *   <li>{@code POST /products/{id}/price?cents=N}: changes the price (a write on the shard's
 *       primary) and replaces the cached entry on every instance; with a stale {@code If-Match} it
 *       is refused with {@code 412} before this code runs (optimistic concurrency).
 *   <li>{@code GET /shards}: products per shard, counted on every shard in parallel.
 *   <li>{@code GET /health}, {@code GET /metrics} (Prometheus text format).
 * </ul>
 *
 * <p>Thread-safe. Blocking: it may query a database, so servers call it off their I/O threads.
 */
final class DemoApi {

  private static final Logger LOG = LoggerFactory.getLogger(DemoApi.class);
  static final String JSON = "application/json";
  static final String PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";

  /** A response: status, headers, body. */
  record Reply(int status, Map<String, String> headers, byte[] body) {
    static Reply of(int status, String contentType, String body) {
      Map<String, String> h = new LinkedHashMap<>();
      h.put("Content-Type", contentType);
      return new Reply(status, h, body.getBytes(StandardCharsets.UTF_8));
    }

    Reply header(String name, String value) {
      headers.put(name, value);
      return this;
    }
  }

  private final DemoServices services;

  DemoApi(DemoServices services) {
    this.services = services;
  }

  /** The route template of a path, for metrics ({@code /products/{id}}), never the raw path. */
  static String route(HttpRequestView request) {
    String path = request.path();
    if (path.startsWith("/products/")) {
      return path.endsWith("/price") ? "/products/{id}/price" : "/products/{id}";
    }
    switch (path) {
      case "/":
      case "/shards":
      case "/health":
      case "/metrics":
        return path;
      default:
        return "UNKNOWN";
    }
  }

  Reply handle(HttpRequestView request, @Nullable String query) {
    String path = request.path();
    String method = request.method();
    try {
      if (path.startsWith("/products/")) {
        String rest = path.substring("/products/".length());
        if (rest.endsWith("/price") && method.equals("POST")) {
          return updatePrice(rest.substring(0, rest.length() - "/price".length()), query);
        }
        if (method.equals("GET") || method.equals("HEAD")) {
          return product(rest);
        }
        return problem(405, "method not allowed");
      }
      switch (path) {
        case "/health":
          return health();
        case "/shards":
          return shards();
        case "/metrics":
          return Reply.of(200, PROMETHEUS, services.scrape());
        case "/":
          return Reply.of(200, "text/plain; charset=utf-8",
              "scaleblocks demo: GET /products/{id}, POST /products/{id}/price?cents=N, /shards, /health, /metrics\n");
        default:
          return problem(404, "no route for " + path);
      }
    } catch (SQLException | RuntimeException e) {
      LOG.warn("{} {} failed", method, path, e);
      return problem(500, "internal error");
    }
  }

  private Reply product(String idText) {
    Long id = parseId(idText);
    if (id == null) {
      return problem(400, "product id must be a positive integer but was " + idText);
    }
    CacheEntry<Product> entry = services.products().get(id);
    if (entry == null) {
      return problem(404, "no product " + id);
    }
    // the same tag the conditional-request block computes from the cached entry
    return Reply.of(200, JSON, entry.value().toJson())
        .header("ETag", Validators.ofVersion(entry.version(), entry.writeTime()).etag().toString())
        .header("Last-Modified", HttpDates.format(entry.writeTime()));
  }

  /** The id in {@code /products/{id}} or {@code /products/{id}/price}, or null for any other path. */
  static @Nullable Long productId(String path) {
    if (!path.startsWith("/products/")) {
      return null;
    }
    String rest = path.substring("/products/".length());
    return parseId(rest.endsWith("/price") ? rest.substring(0, rest.length() - "/price".length()) : rest);
  }

  private Reply updatePrice(String idText, @Nullable String query) throws SQLException {
    Long id = parseId(idText);
    String cents = queryParam(query, "cents");
    if (id == null || cents == null || !cents.matches("[0-9]{1,12}")) {
      return problem(400, "use POST /products/{id}/price?cents=N with a positive id and N");
    }
    Optional<Product> updated = services.products().updatePrice(id, Long.parseLong(cents));
    return updated.isPresent()
        ? Reply.of(200, JSON, updated.get().toJson())
        : problem(404, "no product " + id);
  }

  private Reply shards() {
    StringBuilder json = new StringBuilder("{");
    services.catalog().counts().forEach((shard, n) ->
        json.append(json.length() == 1 ? "" : ",").append('"').append(shard).append("\":").append(n));
    return Reply.of(200, JSON, json.append('}').toString());
  }

  private Reply health() {
    Map<String, String> checks = services.health();
    boolean up = checks.values().stream().allMatch(v -> v.startsWith("UP"));
    StringBuilder json = new StringBuilder("{\"status\":\"").append(up ? "UP" : "DOWN").append("\",\"checks\":{");
    boolean first = true;
    for (Map.Entry<String, String> e : checks.entrySet()) {
      json.append(first ? "" : ",").append('"').append(e.getKey()).append("\":\"")
          .append(e.getValue().replace("\\", "\\\\").replace("\"", "'")).append('"');
      first = false;
    }
    json.append("}}");
    return Reply.of(up ? 200 : 503, JSON, json.toString());
  }

  static Reply problem(int status, String detail) {
    return Reply.of(status, "application/problem+json",
        "{\"status\":" + status + ",\"detail\":\"" + detail.replace("\"", "'") + "\"}");
  }

  private static @Nullable Long parseId(String text) {
    if (!text.matches("[0-9]{1,18}")) {
      return null;
    }
    long id = Long.parseLong(text);
    return id > 0 ? id : null;
  }

  static @Nullable String queryParam(@Nullable String query, String name) {
    if (query == null) {
      return null;
    }
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0 && pair.substring(0, eq).equals(name)) {
        return pair.substring(eq + 1);
      }
    }
    return null;
  }
}
