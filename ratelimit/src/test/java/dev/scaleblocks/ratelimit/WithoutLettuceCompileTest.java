package dev.scaleblocks.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lettuce is optional for users too: code that builds a Jedis limiter compiles with no Lettuce
 * jar on its class path (which a {@code redis(io.lettuce.core.RedisClient)} overload would break:
 * javac resolving {@code redis(jedis)} needs every overload's parameter types), while code that
 * calls {@code lettuce(...)} needs it, as it should.
 */
class WithoutLettuceCompileTest {

  @TempDir
  Path dir;

  @Test
  void jedisOnlyCodeCompilesWithoutLettuceOnTheClassPath() throws IOException {
    String jedisUser = """
        import dev.scaleblocks.ratelimit.*;
        import java.time.Duration;
        class JedisUser {
          RateLimiter limiter(redis.clients.jedis.UnifiedJedis jedis) {
            return RateLimiter.builder(RateLimitPolicy.builder("p").limit(1, Duration.ofSeconds(1)).build())
                .redis(jedis).storeTimeout(Duration.ofMillis(50)).build();
          }
          TenantPolicies plans(redis.clients.jedis.UnifiedJedis jedis) {
            return TenantPolicies.builder("t")
                .plan(RateLimitPolicy.builder("free").limit(1, Duration.ofSeconds(1)).build())
                .planStore(jedis).limiters(p -> RateLimiter.builder(p).redis(jedis)).build();
          }
        }
        """;
    assertThat(compile("JedisUser", jedisUser)).isEmpty();

    String lettuceUser = """
        import dev.scaleblocks.ratelimit.*;
        import java.time.Duration;
        class LettuceUser {
          RateLimiter limiter(Object client) {
            return RateLimiter.builder(RateLimitPolicy.builder("p").limit(1, Duration.ofSeconds(1)).build())
                .lettuce((io.lettuce.core.RedisClient) client).build();
          }
        }
        """;
    assertThat(compile("LettuceUser", lettuceUser)).contains("io.lettuce.core");
  }

  /** Compiles one source against the test class path minus Lettuce; javac's errors, or "". */
  private String compile(String name, String source) throws IOException {
    Path file = dir.resolve(name + ".java");
    Files.writeString(file, source);
    String classPath = Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(e -> !new File(e).getName().startsWith("lettuce-core"))
        .collect(Collectors.joining(File.pathSeparator));
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    StringWriter errors = new StringWriter();
    boolean ok = javac.getTask(errors, null, null,
        List.of("-proc:none", "-d", dir.resolve("out").toString(), "-cp", classPath),
        null, javac.getStandardFileManager(null, null, null).getJavaFileObjects(file.toFile()))
        .call();
    return ok ? "" : errors.toString();
  }
}
