package dev.scaleblocks.core.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RequestMatcherTest {

  @Test
  void exactPathMatchesOnlyItself() {
    RequestMatcher m = RequestMatcher.path("/api/items");
    assertThat(m.matches("GET", "/api/items")).isTrue();
    assertThat(m.matches("GET", "/api/items/")).isFalse();
    assertThat(m.matches("GET", "/api/item")).isFalse();
    assertThat(m.matches("GET", "/api/itemsx")).isFalse();
    assertThat(m.matches("GET", "/api")).isFalse();
    assertThat(m.matches("GET", "")).isFalse();
  }

  @Test
  void singleStarMatchesOneNonEmptySegment() {
    RequestMatcher m = RequestMatcher.path("/users/*/orders");
    assertThat(m.matches("GET", "/users/7/orders")).isTrue();
    assertThat(m.matches("GET", "/users//orders")).isFalse();
    assertThat(m.matches("GET", "/users/7/8/orders")).isFalse();
    assertThat(RequestMatcher.path("/users/*").matches("GET", "/users/")).isFalse();
  }

  @Test
  void trailingDoubleStarMatchesAnySuffix() {
    RequestMatcher m = RequestMatcher.path("/api/**");
    assertThat(m.matches("GET", "/api")).isTrue();
    assertThat(m.matches("GET", "/api/")).isTrue();
    assertThat(m.matches("GET", "/api/a/b/c")).isTrue();
    assertThat(m.matches("GET", "/apix")).isFalse();
    assertThat(RequestMatcher.any().matches("DELETE", "/")).isTrue();
    assertThat(RequestMatcher.path("/").matches("GET", "/")).isTrue();
    assertThat(RequestMatcher.path("/").matches("GET", "/a")).isFalse();
  }

  @Test
  void methodsRestrictTheMatch() {
    RequestMatcher m = RequestMatcher.path("/login").methods("post");
    assertThat(m.matches("POST", "/login")).isTrue();
    assertThat(m.matches("GET", "/login")).isFalse();
  }

  @Test
  void rejectsBadPatterns() {
    assertThatThrownBy(() -> RequestMatcher.path("api"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("pattern must start with / but was api");
    assertThatThrownBy(() -> RequestMatcher.path("/a/**/b"))
        .hasMessage("pattern may use ** only as its last segment but was /a/**/b");
    assertThatThrownBy(() -> RequestMatcher.any().methods())
        .hasMessage("methods must not be empty");
  }
}
