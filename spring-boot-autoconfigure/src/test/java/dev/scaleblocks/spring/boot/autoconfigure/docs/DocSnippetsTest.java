package dev.scaleblocks.spring.boot.autoconfigure.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.spring.boot.autoconfigure.cache.HttpCachingProperties;
import dev.scaleblocks.spring.boot.autoconfigure.cache.TieredCacheProperties;
import dev.scaleblocks.spring.boot.autoconfigure.pooling.PoolingProperties;
import dev.scaleblocks.spring.boot.autoconfigure.ratelimit.RateLimitProperties;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * docs/spring-boot.md's quick start is the code between {@code // DOC:spring-boot.md#name} (or
 * {@code # DOC:...} in properties) and {@code END} in {@link QuickStartApp} and {@code
 * docs/quickstart.properties}: the Java compiles, the properties bind to the property classes.
 */
class DocSnippetsTest {

  private static final Pattern SNIPPET =
      Pattern.compile("(?://|#) DOC:spring-boot\\.md#([\\w-]+)\\n(.*?)\\n\\s*(?://|#) END", Pattern.DOTALL);

  @Test
  void theGuidesSnippetsAreCompiledAndBoundHere() throws IOException {
    String doc = Files.readString(Path.of("..", "docs", "spring-boot.md"), StandardCharsets.UTF_8);
    Map<String, String[]> snippets = new LinkedHashMap<>();
    collect(Path.of("src/test/java/dev/scaleblocks/spring/boot/autoconfigure/docs/QuickStartApp.java"),
        "java", snippets);
    collect(Path.of("src/test/resources/docs/quickstart.properties"), "properties", snippets);
    assertThat(snippets).containsKeys("application", "jedis", "properties", "http-caching");
    for (Map.Entry<String, String[]> s : snippets.entrySet()) {
      assertThat(doc)
          .as("docs/spring-boot.md holds snippet '%s' exactly as tested", s.getKey())
          .contains("```" + s.getValue()[0] + "\n" + s.getValue()[1] + "\n```");
    }
  }

  @Test
  void theQuickStartPropertiesBind() throws IOException {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(Path.of("src/test/resources/docs/quickstart.properties"))) {
      p.load(r);
    }
    Binder binder = new Binder(new MapConfigurationPropertySource(p));
    RateLimitProperties rl = binder.bind("scaleblocks.ratelimit", RateLimitProperties.class).get();
    assertThat(rl.getPolicies()).containsKeys("api", "login");
    assertThat(rl.getRoutes()).hasSize(2);
    assertThat(rl.getRoutes().get(1).getMethods()).containsExactly("POST");
    TieredCacheProperties cache = binder.bind("scaleblocks.cache", TieredCacheProperties.class).get();
    assertThat(cache.getCaches().get("books").getValueType()).isEqualTo(String.class);
    PoolingProperties pooling = binder.bind("scaleblocks.pooling", PoolingProperties.class).get();
    assertThat(pooling.getReplicas()).hasSize(1);
    HttpCachingProperties http = binder.bind("scaleblocks.cache.http", HttpCachingProperties.class).get();
    assertThat(http.getRoutes()).singleElement().satisfies(r -> {
      assertThat(r.isEtag()).isTrue();
      assertThat(r.getCacheControl().getMaxAge()).hasSeconds(60);
      assertThat(r.getVary()).containsExactly("Accept");
    });
  }

  private static void collect(Path file, String lang, Map<String, String[]> into) throws IOException {
    Matcher m = SNIPPET.matcher(Files.readString(file, StandardCharsets.UTF_8));
    while (m.find()) {
      into.put(m.group(1), new String[] {lang, dedent(m.group(2))});
    }
  }

  private static String dedent(String block) {
    int indent = block.lines().filter(l -> !l.isBlank())
        .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
    return block.lines().map(l -> l.length() >= indent ? l.substring(indent) : l.strip())
        .collect(Collectors.joining("\n"));
  }
}
