package dev.scaleblocks.spring.boot.autoconfigure.ratelimit;

import java.util.List;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/** Matches when {@code scaleblocks.ratelimit.routes} holds at least one route. */
final class OnRoutesCondition extends SpringBootCondition {

  @Override
  public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
    List<RateLimitProperties.Route> routes = Binder.get(context.getEnvironment())
        .bind("scaleblocks.ratelimit.routes", Bindable.listOf(RateLimitProperties.Route.class))
        .orElse(List.of());
    return routes.isEmpty()
        ? ConditionOutcome.noMatch("no scaleblocks.ratelimit.routes")
        : ConditionOutcome.match(routes.size() + " scaleblocks.ratelimit.routes");
  }
}
