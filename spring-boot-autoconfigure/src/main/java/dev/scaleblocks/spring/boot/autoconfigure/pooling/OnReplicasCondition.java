package dev.scaleblocks.spring.boot.autoconfigure.pooling;

import java.util.List;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/** Matches when {@code scaleblocks.pooling.replicas} holds at least one replica. */
final class OnReplicasCondition extends SpringBootCondition {

  @Override
  public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
    List<PoolingProperties.Replica> replicas = Binder.get(context.getEnvironment())
        .bind("scaleblocks.pooling.replicas", Bindable.listOf(PoolingProperties.Replica.class))
        .orElse(List.of());
    return replicas.isEmpty()
        ? ConditionOutcome.noMatch("no scaleblocks.pooling.replicas")
        : ConditionOutcome.match(replicas.size() + " scaleblocks.pooling.replicas");
  }
}
