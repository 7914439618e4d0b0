package dev.scaleblocks.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.testing.ModuleBoundaries;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Runs on the module path (surefire's module-path execution): see {@link ModuleBoundaries}. */
class ModuleBoundariesTest {

  @Test
  void exportsTheApiOnly() {
    ModuleBoundaries.verify(RateLimiter.class, Map.of(),
        Set.of("org.jspecify", "lettuce.core", "jakarta.servlet", "io.netty.codec.http", "io.netty.transport",
            "io.netty.buffer", "io.netty.common"));
  }

  @Test
  void coreReadsTheLuaScriptFromThisModule() {
    // core's RedisScript.fromResource reads it: the package is opened to core for that
    assertThat(RedisCounterStore.SCRIPT.source()).contains("redis.call");
  }
}
