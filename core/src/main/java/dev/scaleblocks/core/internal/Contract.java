package dev.scaleblocks.core.internal;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * States what a method does for some arguments, in the syntax of JetBrains' {@code @Contract}
 * ({@code "null, _ -> fail"}: the method throws when its first argument is null), so that the
 * build's nullness checker (NullAway) knows a value is non-null after a check in {@link Checks}.
 * Class retention: nothing reads it at run time.
 *
 * <p>Not part of the public API: may change without notice.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.METHOD)
public @interface Contract {

  /** The clauses, separated by {@code ;}. */
  String value();
}
