package dev.scaleblocks.core;

import dev.scaleblocks.core.internal.Checks;
import dev.scaleblocks.core.internal.redis.RedisBackends;
import dev.scaleblocks.core.testing.ModuleBoundaries;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Runs on the module path (surefire's module-path execution): see {@link ModuleBoundaries}. */
class ModuleBoundariesTest {

  @Test
  void exportsTheApiAndChecksOnlyToScaleblocksModules() {
    ModuleBoundaries.verify(Ticker.class,
        Map.of("dev.scaleblocks.core.internal", Set.of("dev.scaleblocks.cache",
                "dev.scaleblocks.ratelimit", "dev.scaleblocks.sharding", "dev.scaleblocks.pooling"),
            "dev.scaleblocks.core.internal.redis", Set.of("dev.scaleblocks.cache",
                "dev.scaleblocks.ratelimit")),
        Set.of("org.jspecify", "redis.clients.jedis", "lettuce.core", "jakarta.servlet",
            "io.netty.codec.http", "io.netty.transport", "io.netty.common",
            "com.google.errorprone.annotations"),
        Checks.class, RedisBackends.class);
  }
}
