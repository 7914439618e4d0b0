package dev.scaleblocks.cache;

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
 * Lettuce is optional for users too: code that builds a Jedis-backed cache compiles with no Lettuce
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
        import dev.scaleblocks.cache.*;
        import dev.scaleblocks.core.codec.Codec;
        class JedisUser {
          TieredCache<String, String> cache(redis.clients.jedis.UnifiedJedis jedis) {
            return TieredCache.builder().name("c").keyCodec(Codec.utf8()).valueCodec(Codec.utf8())
                .redis(jedis).build();
          }
        }
        """;
    assertThat(compile("JedisUser", jedisUser)).isEmpty();

    String lettuceUser = """
        import dev.scaleblocks.cache.*;
        import dev.scaleblocks.core.codec.Codec;
        class LettuceUser {
          TieredCache<String, String> cache(Object client) {
            return TieredCache.builder().name("c").keyCodec(Codec.utf8()).valueCodec(Codec.utf8())
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
