package dev.scaleblocks.spring.boot.autoconfigure.cache;

import dev.scaleblocks.spring.boot.autoconfigure.OnListedCondition;

/** Matches when {@code scaleblocks.cache.http.routes} holds at least one route. */
final class OnHttpCachingRoutesCondition extends OnListedCondition {

  OnHttpCachingRoutesCondition() {
    super("scaleblocks.cache.http.routes", HttpCachingProperties.Route.class);
  }
}
