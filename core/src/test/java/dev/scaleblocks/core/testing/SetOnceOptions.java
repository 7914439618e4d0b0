package dev.scaleblocks.core.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Checks that a builder refuses each single-valued option given twice, and that it knows every
 * such option: each option registered here is set once with a valid value on a fresh builder
 * (which must pass), then again (which must throw {@link IllegalStateException} with the expected
 * message, "maxAge was already set to PT5S"); and the registered option names must equal the
 * names of the builder's public instance methods that return the builder, less those declared
 * additive ({@code shard(...)}, {@code replica(...)}). A builder method added without being
 * registered here fails {@link #verify()}, naming it.
 *
 * <p>Methods that set one and the same option ({@code publicCache()} and {@code privateCache()})
 * are checked with {@link #alsoRefused}.
 *
 * @param <B> the builder type
 */
public final class SetOnceOptions<B> {

  private record Option<B>(Supplier<B> fresh, Consumer<B> set, String message) {}

  private record Pair(String first, String second, String message) {}

  private final Class<?> type;
  private final Supplier<B> fresh;
  private final Map<String, Option<B>> options = new LinkedHashMap<>();
  private final Set<String> additive = new TreeSet<>();
  private final List<Pair> pairs = new ArrayList<>();

  private SetOnceOptions(Class<?> type, Supplier<B> fresh) {
    this.type = type;
    this.fresh = fresh;
  }

  /** Options of the builder {@code type}; {@code fresh} makes a new, empty builder each call. */
  public static <B> SetOnceOptions<B> of(Class<?> type, Supplier<B> fresh) {
    return new SetOnceOptions<>(type, fresh);
  }

  /**
   * A single-valued option: {@code set} calls the builder method named {@code method} with a valid
   * value; its second call must fail with exactly {@code message}.
   */
  public SetOnceOptions<B> option(String method, Consumer<B> set, String message) {
    return option(method, fresh, set, message);
  }

  /** As {@link #option(String, Consumer, String)}, on builders from {@code fresh} (an option some builders only accept). */
  public SetOnceOptions<B> option(String method, Supplier<B> fresh, Consumer<B> set, String message) {
    assertThat(options.put(method, new Option<>(fresh, set, message)))
        .as("%s registered twice", method)
        .isNull();
    return this;
  }

  /** Methods that add an element each call and stay callable many times. */
  public SetOnceOptions<B> additive(String... methods) {
    additive.addAll(Arrays.asList(methods));
    return this;
  }

  /** Two registered methods setting one option: {@code second} after {@code first} fails with {@code message}. */
  public SetOnceOptions<B> alsoRefused(String first, String second, String message) {
    pairs.add(new Pair(first, second, message));
    return this;
  }

  /** Runs the checks; see the class comment. */
  public void verify() {
    Set<String> declared =
        Arrays.stream(type.getMethods())
            .filter(m -> m.getDeclaringClass() == type)
            .filter(m -> !Modifier.isStatic(m.getModifiers()))
            .filter(m -> m.getReturnType() == type)
            .map(Method::getName)
            .collect(Collectors.toCollection(TreeSet::new));
    assertThat(additive).as("additive methods of %s", type.getName()).isSubsetOf(declared);
    declared.removeAll(additive);
    assertThat(new TreeSet<>(options.keySet()))
        .as("single-valued options of %s (a new option must refuse a second set and be listed)",
            type.getName())
        .isEqualTo(declared);
    options.forEach((name, option) -> {
      B builder = option.fresh().get();
      assertThatCode(() -> option.set().accept(builder)).as("first %s", name).doesNotThrowAnyException();
      assertThatThrownBy(() -> option.set().accept(builder))
          .as("second %s", name)
          .isInstanceOf(IllegalStateException.class)
          .hasMessage(option.message());
    });
    for (Pair pair : pairs) {
      Option<B> first = Objects.requireNonNull(options.get(pair.first()), pair.first());
      Option<B> second = Objects.requireNonNull(options.get(pair.second()), pair.second());
      B builder = first.fresh().get();
      first.set().accept(builder);
      assertThatThrownBy(() -> second.set().accept(builder))
          .as("%s after %s", pair.second(), pair.first())
          .isInstanceOf(IllegalStateException.class)
          .hasMessage(pair.message());
    }
  }
}
