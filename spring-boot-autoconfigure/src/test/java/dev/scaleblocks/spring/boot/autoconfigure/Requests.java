package dev.scaleblocks.spring.boot.autoconfigure;

import dev.scaleblocks.core.http.HttpRequestView;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/** Requests as the blocks see them, for tests that call an {@code HttpRateLimit} or {@code HttpCaching} directly. */
final class Requests {

  private Requests() {}

  /** A request with {@code headers} (one value each, names in any case) from {@code remoteAddress}. */
  static HttpRequestView of(String method, String path, Map<String, String> headers,
      @Nullable String remoteAddress) {
    Map<String, String> byName = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    byName.putAll(headers);
    return new HttpRequestView() {
      @Override
      public String method() {
        return method.toUpperCase(Locale.ROOT);
      }

      @Override
      public String path() {
        return path;
      }

      @Override
      public @Nullable String header(String name) {
        return byName.get(name);
      }

      @Override
      public List<String> headers(String name) {
        String v = header(name);
        return v == null ? List.of() : List.of(v);
      }

      @Override
      public @Nullable String remoteAddress() {
        return remoteAddress;
      }
    };
  }
}
