package dev.scaleblocks.sharding;

import dev.scaleblocks.core.testing.ModuleBoundaries;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Runs on the module path (surefire's module-path execution): see {@link ModuleBoundaries}. */
class ModuleBoundariesTest {

  @Test
  void exportsTheApiOnly() {
    ModuleBoundaries.verify(ShardRouter.class, Map.of(), Set.of("org.jspecify"));
  }
}
