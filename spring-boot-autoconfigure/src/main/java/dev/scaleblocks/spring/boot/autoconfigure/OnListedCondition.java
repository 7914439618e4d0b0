package dev.scaleblocks.spring.boot.autoconfigure;

import java.util.List;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches when the list property {@code name} (routes, replicas) holds at least one element of
 * {@code type}. Subclasses name the property; Spring instantiates them by their no-argument
 * constructor.
 */
public abstract class OnListedCondition extends SpringBootCondition {

  private final String name;
  private final Class<?> type;

  protected OnListedCondition(String name, Class<?> type) {
    this.name = name;
    this.type = type;
  }

  @Override
  public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
    List<?> listed = Binder.get(context.getEnvironment())
        .bind(name, Bindable.listOf(type))
        .orElse(List.of());
    return listed.isEmpty()
        ? ConditionOutcome.noMatch("no " + name)
        : ConditionOutcome.match(listed.size() + " " + name);
  }
}
