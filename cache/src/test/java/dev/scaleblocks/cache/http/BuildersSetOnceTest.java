package dev.scaleblocks.cache.http;

import dev.scaleblocks.core.testing.SetOnceOptions;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Every single-valued builder option refuses a second set, naming the option and its value. */
class BuildersSetOnceTest {

  @Test
  void cachePolicyBuilder() {
    CacheControl cc = CacheControl.builder().publicCache().maxAge(Duration.ofMinutes(5)).build();
    SetOnceOptions.of(CachePolicy.Builder.class, CachePolicy::builder)
        .additive("vary")
        .option("cacheControl", b -> b.cacheControl(cc), "cacheControl was already set to public, max-age=300")
        .option("validators", b -> b.validators(request -> null), "validators was already set")
        .verify();
  }

  @Test
  void cacheControlBuilder() {
    SetOnceOptions.of(CacheControl.Builder.class, CacheControl::builder)
        .option("publicCache", CacheControl.Builder::publicCache, "visibility was already set to public")
        .option("privateCache", CacheControl.Builder::privateCache, "visibility was already set to private")
        .option("noCache", CacheControl.Builder::noCache, "noCache was already set")
        .option("noStore", CacheControl.Builder::noStore, "noStore was already set")
        .option("mustRevalidate", CacheControl.Builder::mustRevalidate, "mustRevalidate was already set")
        .option("proxyRevalidate", CacheControl.Builder::proxyRevalidate, "proxyRevalidate was already set")
        .option("noTransform", CacheControl.Builder::noTransform, "noTransform was already set")
        .option("immutable", CacheControl.Builder::immutable, "immutable was already set")
        .option("maxAge", b -> b.maxAge(Duration.ofMinutes(5)), "maxAge was already set to PT5M")
        .option("sMaxAge", b -> b.sMaxAge(Duration.ofMinutes(1)), "sMaxAge was already set to PT1M")
        .option("staleWhileRevalidate", b -> b.staleWhileRevalidate(Duration.ofSeconds(60)),
            "staleWhileRevalidate was already set to PT1M")
        .option("staleIfError", b -> b.staleIfError(Duration.ofSeconds(30)),
            "staleIfError was already set to PT30S")
        .alsoRefused("publicCache", "privateCache", "visibility was already set to public")
        .alsoRefused("privateCache", "publicCache", "visibility was already set to private")
        .verify();
  }

  @Test
  void httpCachingBuilderOnlyAddsRoutes() {
    SetOnceOptions.of(HttpCaching.Builder.class, HttpCaching::builder).additive("route").verify();
  }
}
