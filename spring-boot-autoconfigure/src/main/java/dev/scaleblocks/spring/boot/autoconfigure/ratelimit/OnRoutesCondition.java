package dev.scaleblocks.spring.boot.autoconfigure.ratelimit;

import dev.scaleblocks.spring.boot.autoconfigure.OnListedCondition;

/** Matches when {@code scaleblocks.ratelimit.routes} holds at least one route. */
final class OnRoutesCondition extends OnListedCondition {

  OnRoutesCondition() {
    super("scaleblocks.ratelimit.routes", RateLimitProperties.Route.class);
  }
}
