package dev.scaleblocks.pooling;

import dev.scaleblocks.core.testing.ModuleBoundaries;
import dev.scaleblocks.pooling.internal.ReplicaDialect;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Runs on the module path (surefire's module-path execution): see {@link ModuleBoundaries}. */
class ModuleBoundariesTest {

  @Test
  void exportsTheApiButNotItsInternalPackage() {
    ModuleBoundaries.verify(Pools.class, Map.of(), Set.of("org.jspecify"), ReplicaDialect.class);
  }
}
