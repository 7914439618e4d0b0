package dev.scaleblocks.cache.http;

import static dev.scaleblocks.cache.http.Conditionals.Result.NOT_MODIFIED;
import static dev.scaleblocks.cache.http.Conditionals.Result.PRECONDITION_FAILED;
import static dev.scaleblocks.cache.http.Conditionals.Result.PROCEED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ConditionalsTest {

  private static final Instant LM = Instant.parse("2026-01-01T00:00:00Z");
  private static final Validators STRONG = Validators.of(EntityTag.strong("abc"), LM);
  private static final Validators WEAK = Validators.of(EntityTag.weak("abc"), LM);
  private static final String BEFORE = "Wed, 31 Dec 2025 23:59:59 GMT";
  private static final String SAME = "Thu, 01 Jan 2026 00:00:00 GMT";

  @Test
  void ifNoneMatchUsesWeakComparison() {
    assertThat(Conditionals.evaluate("GET", STRONG, null, null, "\"abc\"", null)).isEqualTo(NOT_MODIFIED);
    assertThat(Conditionals.evaluate("GET", STRONG, null, null, "W/\"abc\"", null)).isEqualTo(NOT_MODIFIED);
    assertThat(Conditionals.evaluate("HEAD", WEAK, null, null, "\"abc\"", null)).isEqualTo(NOT_MODIFIED);
    assertThat(Conditionals.evaluate("GET", STRONG, null, null, "\"x\", \"y\" ,W/\"abc\"", null)).isEqualTo(NOT_MODIFIED);
    assertThat(Conditionals.evaluate("GET", STRONG, null, null, "\"x\", \"y\"", null)).isEqualTo(PROCEED);
    assertThat(Conditionals.evaluate("GET", STRONG, null, null, "*", null)).isEqualTo(NOT_MODIFIED);
    assertThat(Conditionals.evaluate("GET", null, null, null, "*", null)).isEqualTo(PROCEED);
    assertThat(Conditionals.evaluate("PUT", STRONG, null, null, "*", null)).isEqualTo(PRECONDITION_FAILED);
    assertThat(Conditionals.evaluate("GET", STRONG, null, null, "garbage, \"unterminated", null)).isEqualTo(PROCEED);
  }

  @Test
  void ifMatchUsesStrongComparison() {
    assertThat(Conditionals.evaluate("PUT", STRONG, "\"abc\"", null, null, null)).isEqualTo(PROCEED);
    assertThat(Conditionals.evaluate("PUT", STRONG, "W/\"abc\"", null, null, null)).isEqualTo(PRECONDITION_FAILED);
    assertThat(Conditionals.evaluate("PUT", WEAK, "\"abc\"", null, null, null)).isEqualTo(PRECONDITION_FAILED);
    assertThat(Conditionals.evaluate("DELETE", STRONG, "\"old\"", null, null, null)).isEqualTo(PRECONDITION_FAILED);
    assertThat(Conditionals.evaluate("PUT", STRONG, "*", null, null, null)).isEqualTo(PROCEED);
    assertThat(Conditionals.evaluate("PUT", null, "*", null, null, null)).isEqualTo(PRECONDITION_FAILED);
  }

  @Test
  void datesAndPrecedence() {
    assertThat(Conditionals.evaluate("GET", STRONG, null, null, null, SAME)).isEqualTo(NOT_MODIFIED);
    assertThat(Conditionals.evaluate("GET", STRONG, null, null, null, BEFORE)).isEqualTo(PROCEED);
    assertThat(Conditionals.evaluate("GET", STRONG, null, null, null, "not a date")).isEqualTo(PROCEED);
    assertThat(Conditionals.evaluate("POST", STRONG, null, null, null, SAME)).isEqualTo(PROCEED);
    // If-None-Match wins over If-Modified-Since
    assertThat(Conditionals.evaluate("GET", STRONG, null, null, "\"other\"", SAME)).isEqualTo(PROCEED);
    assertThat(Conditionals.evaluate("PUT", STRONG, null, BEFORE, null, null)).isEqualTo(PRECONDITION_FAILED);
    assertThat(Conditionals.evaluate("PUT", STRONG, null, SAME, null, null)).isEqualTo(PROCEED);
    // If-Match wins over If-Unmodified-Since
    assertThat(Conditionals.evaluate("PUT", STRONG, "\"abc\"", BEFORE, null, null)).isEqualTo(PROCEED);
    // sub-second modification times compare at second precision
    Validators precise = Validators.of(null, LM.plus(Duration.ofMillis(900)));
    assertThat(Conditionals.evaluate("GET", precise, null, null, null, SAME)).isEqualTo(NOT_MODIFIED);
  }

  @Test
  void entityTagsAndCacheControl() {
    assertThat(EntityTag.parse("W/\"a\"")).isEqualTo(EntityTag.weak("a"));
    assertThat(EntityTag.parse("\"a b\"")).isNull();
    assertThat(EntityTag.parse("abc")).isNull();
    assertThat(EntityTag.ofVersion(255).toString()).isEqualTo("\"vff\"");
    assertThatThrownBy(() -> EntityTag.strong("a\"b")).isInstanceOf(IllegalArgumentException.class);
    assertThat(CacheControl.builder().publicCache().maxAge(Duration.ofMinutes(5))
        .staleWhileRevalidate(Duration.ofSeconds(60)).build().toString())
        .isEqualTo("public, max-age=300, stale-while-revalidate=60");
    assertThat(CacheControl.noStore().toString()).isEqualTo("no-store");
    assertThat(CacheControl.builder().privateCache().noCache().mustRevalidate().build().toString())
        .isEqualTo("private, no-cache, must-revalidate");
    assertThatThrownBy(() -> CacheControl.builder().noStore().maxAge(Duration.ofSeconds(1)).build())
        .hasMessage("no-store cannot be combined with caching directives");
  }
}
