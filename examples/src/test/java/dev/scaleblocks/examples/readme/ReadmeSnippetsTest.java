package dev.scaleblocks.examples.readme;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The README's quick starts are the code between {@code // README:name} and {@code // END} in
 * {@link QuickStartTest} and {@link QuickStartIT}, de-indented: this test fails when the two drift.
 */
class ReadmeSnippetsTest {

  private static final Path DIR = Path.of("src/test/java/dev/scaleblocks/examples/readme");
  private static final Pattern SNIPPET =
      Pattern.compile("// README:([\\w-]+)\\n(.*?)\\n\\s*// END", Pattern.DOTALL);

  @Test
  void everyQuickStartInTheReadmeIsCompiledCode() throws IOException {
    String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
    Map<String, String> snippets = new LinkedHashMap<>();
    for (String file : new String[] {"QuickStartTest.java", "QuickStartIT.java"}) {
      Matcher m = SNIPPET.matcher(Files.readString(DIR.resolve(file), StandardCharsets.UTF_8));
      while (m.find()) {
        snippets.put(m.group(1), dedent(m.group(2)));
      }
    }
    assertThat(snippets).containsKeys("cache", "cache-redis", "ratelimit", "ratelimit-redis",
        "sharding", "sharded-datasource", "pooling", "read-write", "servlet");
    for (Map.Entry<String, String> snippet : snippets.entrySet()) {
      assertThat(readme)
          .as("README.md holds quick start '%s' exactly as compiled", snippet.getKey())
          .contains("```java\n" + snippet.getValue() + "\n```");
    }
  }

  private static final Pattern DOC_SNIPPET =
      Pattern.compile("// DOC:([\\w-]+\\.md)#([\\w-]+)\\n(.*?)\\n\\s*// END", Pattern.DOTALL);

  /** Code marked {@code // DOC:file.md#name} ... {@code // END} appears exactly in docs/file.md. */
  @Test
  void everyMarkedSnippetInTheDocsIsCompiledCode() throws IOException {
    int found = 0;
    for (String file : new String[] {"QuickStartTest.java", "QuickStartIT.java"}) {
      Matcher m = DOC_SNIPPET.matcher(Files.readString(DIR.resolve(file), StandardCharsets.UTF_8));
      while (m.find()) {
        found++;
        String doc = Files.readString(Path.of("..", "docs", m.group(1)), StandardCharsets.UTF_8);
        assertThat(doc)
            .as("docs/%s holds snippet '%s' exactly as compiled", m.group(1), m.group(2))
            .contains("```java\n" + dedent(m.group(3)) + "\n```");
      }
    }
    assertThat(found).as("snippets marked for the docs").isPositive();
  }

  private static String dedent(String block) {
    int indent = block.lines().filter(l -> !l.isBlank())
        .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
    return block.lines().map(l -> l.length() >= indent ? l.substring(indent) : l.strip())
        .collect(Collectors.joining("\n"));
  }
}
