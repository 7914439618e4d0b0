package dev.scaleblocks.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.spring.boot.autoconfigure.cache.HttpCachingProperties;
import dev.scaleblocks.spring.boot.autoconfigure.cache.TieredCacheProperties;
import dev.scaleblocks.spring.boot.autoconfigure.pooling.PoolingProperties;
import dev.scaleblocks.spring.boot.autoconfigure.ratelimit.RateLimitProperties;
import java.beans.IntrospectionException;
import java.beans.Introspector;
import java.beans.PropertyDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The configuration metadata IDEs complete from: what the processor generates from the property
 * classes, merged with {@code additional-spring-configuration-metadata.json}. Boot's metadata has
 * no entries for the properties of map values and list elements (spring-boot#9945); it records
 * their element types, which IDEs introspect, and docs/spring-boot.md lists every one of them.
 */
class ConfigurationMetadataTest {

  private static final Map<String, JsonNode> properties = new HashMap<>();
  private static final Map<String, JsonNode> hints = new HashMap<>();

  @BeforeAll
  static void readOurMetadata() throws IOException {
    JsonMapper json = JsonMapper.builder().build();
    Enumeration<URL> all = ConfigurationMetadataTest.class.getClassLoader()
        .getResources("META-INF/spring-configuration-metadata.json");
    while (all.hasMoreElements()) {
      JsonNode root;
      try (InputStream in = all.nextElement().openStream()) {
        root = json.readTree(in);
      }
      List<String> groups = new ArrayList<>();
      root.path("groups").forEach(g -> groups.add(g.path("name").asString()));
      if (groups.contains("scaleblocks.ratelimit")) {
        root.path("properties").forEach(p -> properties.put(p.path("name").asString(), p));
        root.path("hints").forEach(h -> hints.put(h.path("name").asString(), h));
      }
    }
    assertThat(properties).as("this module's generated metadata on the class path").isNotEmpty();
  }

  @Test
  void mapsAndListsOfSettingsCarryTheirElementTypes() {
    assertThat(type("scaleblocks.ratelimit.policies")).isEqualTo(
        "java.util.Map<java.lang.String," + RateLimitProperties.Policy.class.getName() + ">");
    assertThat(type("scaleblocks.ratelimit.routes"))
        .isEqualTo("java.util.List<" + RateLimitProperties.Route.class.getName() + ">");
    assertThat(type("scaleblocks.cache.caches")).isEqualTo(
        "java.util.Map<java.lang.String," + TieredCacheProperties.Spec.class.getName() + ">");
    assertThat(type("scaleblocks.cache.http.routes"))
        .isEqualTo("java.util.List<" + HttpCachingProperties.Route.class.getName() + ">");
    assertThat(type("scaleblocks.pooling.replicas"))
        .isEqualTo("java.util.List<" + PoolingProperties.Replica.class.getName() + ">");
  }

  @Test
  void aCachesSettingsAreDescribedUnderDefaults() {
    for (String p : List.of("l1-ttl", "l2-ttl", "maximum-size", "value-type", "l2")) {
      JsonNode n = properties.get("scaleblocks.cache.defaults." + p);
      assertThat(n).as("scaleblocks.cache.defaults.%s", p).isNotNull();
      assertThat(n.path("description").asString()).as("description of %s", p).isNotBlank();
    }
  }

  @Test
  void valueHintsNameTheChoices() {
    assertThat(hintValues("scaleblocks.ratelimit.header-style"))
        .containsExactly("ietf", "ietf-and-legacy", "legacy", "none");
    assertThat(hintValues("scaleblocks.ratelimit.key.type"))
        .containsExactly("client-ip", "header", "api-key", "principal");
    assertThat(hintValues("scaleblocks.ratelimit.key.proxy-header"))
        .containsExactly("x-forwarded-for", "forwarded");
    assertThat(hintValues("scaleblocks.ratelimit.rejection-status")).containsExactly("429", "503");
    assertThat(hintValues("scaleblocks.pooling.balancing"))
        .containsExactly("round-robin", "least-active", "weighted");
    assertThat(hints.get("scaleblocks.cache.defaults.value-type").path("providers").get(0)
        .path("name").asString()).isEqualTo("class-reference");
    // every hinted property exists: a renamed property cannot leave a stale hint behind
    assertThat(properties).containsKeys(hints.keySet().toArray(String[]::new));
  }

  @Test
  void everySettingOfAMapValueOrListElementIsInThePropertyReference() throws Exception {
    String doc = Files.readString(Path.of("..", "docs", "spring-boot.md"), StandardCharsets.UTF_8);
    String reference = doc.substring(doc.indexOf("## Property reference"));
    for (Class<?> type : List.of(RateLimitProperties.Policy.class, RateLimitProperties.LimitSpec.class,
        RateLimitProperties.Route.class, RateLimitProperties.Throttling.class,
        TieredCacheProperties.Spec.class, HttpCachingProperties.Route.class,
        HttpCachingProperties.CacheControlSpec.class, PoolingProperties.Replica.class)) {
      for (String name : settings(type)) {
        assertThat(Pattern.compile("\\." + Pattern.quote(name) + "[`\\[.]").matcher(reference).find())
            .as("%s.%s in docs/spring-boot.md's property reference", type.getSimpleName(), name)
            .isTrue();
      }
    }
  }

  private static String type(String name) {
    JsonNode n = properties.get(name);
    assertThat(n).as(name).isNotNull();
    return n.path("type").asString();
  }

  private static List<String> hintValues(String name) {
    JsonNode h = hints.get(name);
    assertThat(h).as("hint for %s", name).isNotNull();
    List<String> values = new ArrayList<>();
    h.path("values").forEach(v -> values.add(v.path("value").asString()));
    return values;
  }

  /** The bindable properties of {@code type}, in kebab case. */
  private static List<String> settings(Class<?> type) throws IntrospectionException {
    List<String> names = new ArrayList<>();
    for (PropertyDescriptor d : Introspector.getBeanInfo(type, Object.class).getPropertyDescriptors()) {
      if (d.getWriteMethod() != null) {
        names.add(d.getName().replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT));
      }
    }
    assertThat(names).as("settings of %s", type.getSimpleName()).isNotEmpty();
    return names;
  }
}
