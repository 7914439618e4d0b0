package dev.scaleblocks.core.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.invoke.MethodHandles;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleDescriptor.Exports;
import java.lang.module.ModuleDescriptor.Requires;
import java.lang.module.ModuleFinder;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Checks, from a test running on the module path, that a scaleblocks module exports what users may
 * call and nothing else:
 *
 * <ul>
 *   <li>the module is named (the test really runs on the module path);
 *   <li>every package of the module's main classes is exported to everyone, except {@code
 *       internal} packages, which are exported to the given scaleblocks modules only, or not at
 *       all. A package added without an {@code exports} line fails here, naming it;
 *   <li>a public class of an internal package cannot be reached by code outside the module ({@link
 *       MethodHandles#publicLookup()}), a public API class can;
 *   <li>nothing is opened to everyone, and the optional dependencies are {@code requires static}.
 * </ul>
 *
 * <p>Used by {@code ModuleBoundariesTest} in each published module, which surefire runs in an
 * execution of its own with {@code useModulePath}.
 */
public final class ModuleBoundaries {

  private ModuleBoundaries() {}

  /**
   * @param apiType a public type of the module's API
   * @param qualifiedExports internal package → the modules it is exported to (only these)
   * @param staticRequires modules that must be required {@code static} (optional dependencies)
   * @param internalTypes public classes of internal packages, which outside code must not reach
   */
  public static void verify(Class<?> apiType, Map<String, Set<String>> qualifiedExports,
      Set<String> staticRequires, Class<?>... internalTypes) {
    Module module = apiType.getModule();
    if (!Boolean.getBoolean("scaleblocks.modulePath")) {
      // a class-path run (e.g. -Dtest=ModuleBoundariesTest reaching the default execution): the
      // module-path execution, which sets the property, is the one that checks
      assumeTrue(module.isNamed(), "checked by the module-path test execution");
    }
    assertThat(module.isNamed())
        .as("%s is in the unnamed module: this test must run on the module path", apiType)
        .isTrue();
    String name = module.getName();
    assertThat(name).startsWith("dev.scaleblocks.");
    assertThat(ModuleLayer.boot().findModule(name)).contains(module);

    ModuleDescriptor descriptor = module.getDescriptor();
    assertThat(descriptor.isOpen()).as("an open module").isFalse();
    assertThat(descriptor.opens())
        .as("packages opened to everyone")
        .allSatisfy(o -> assertThat(o.isQualified()).isTrue())
        .allSatisfy(o -> assertThat(o.targets()).allMatch(t -> t.startsWith("dev.scaleblocks.")));

    // The packages of the main classes only (tests patched into the module add their own).
    Set<String> mainPackages = mainDescriptor(apiType, name).packages();
    Map<String, Set<String>> unqualified = new TreeMap<>();
    Map<String, Set<String>> qualified = new TreeMap<>();
    for (Exports e : descriptor.exports()) {
      (e.isQualified() ? qualified : unqualified).put(e.source(), new TreeSet<>(e.targets()));
    }
    Set<String> expectedApi = mainPackages.stream()
        .filter(p -> !isInternal(p))
        .collect(Collectors.toCollection(TreeSet::new));
    assertThat(unqualified.keySet())
        .as("packages exported to everyone: every non-internal package (add an `exports` line "
            + "to %s's module-info.java for a new API package, or move it under an internal "
            + "package)", name)
        .containsExactlyInAnyOrderElementsOf(expectedApi);
    assertThat(qualified).as("qualified exports").isEqualTo(new TreeMap<>(qualifiedExports));
    for (String p : mainPackages) {
      if (isInternal(p)) {
        assertThat(module.isExported(p)).as("%s exported to everyone", p).isFalse();
      } else {
        assertThat(module.isExported(p)).as("%s exported", p).isTrue();
      }
    }

    // What code outside the module can reach.
    try {
      assertThat(MethodHandles.publicLookup().accessClass(apiType)).isSameAs(apiType);
    } catch (IllegalAccessException e) {
      throw new AssertionError(apiType + " should be reachable from any module", e);
    }
    for (Class<?> internal : internalTypes) {
      assertThat(internal.getModule()).isSameAs(module);
      assertThat(isInternal(internal.getPackageName())).as("%s is internal", internal).isTrue();
      assertThatThrownBy(() -> MethodHandles.publicLookup().accessClass(internal))
          .as("code outside scaleblocks reaching %s", internal)
          .isInstanceOf(IllegalAccessException.class);
    }

    Map<String, Requires> requires = descriptor.requires().stream()
        .collect(Collectors.toMap(Requires::name, r -> r));
    for (String optional : staticRequires) {
      assertThat(requires).as("%s requires %s", name, optional).containsKey(optional);
      assertThat(requires.get(optional).modifiers())
          .as("%s requires %s static (an optional dependency)", name, optional)
          .contains(Requires.Modifier.STATIC);
    }
  }

  private static boolean isInternal(String pkg) {
    return pkg.endsWith(".internal") || pkg.contains(".internal.");
  }

  /** The descriptor as compiled, with the packages found among the main classes (a dir or jar). */
  private static ModuleDescriptor mainDescriptor(Class<?> apiType, String name) {
    Path location;
    try {
      location = Path.of(apiType.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    return ModuleFinder.of(location).find(name)
        .orElseThrow(() -> new AssertionError("no module " + name + " at " + location))
        .descriptor();
  }
}
