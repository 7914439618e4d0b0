package dev.scaleblocks.ratelimit.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.ratelimit.Decision;
import dev.scaleblocks.ratelimit.RateLimitPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.greenbytes.http.sfv.Item;
import org.greenbytes.http.sfv.ListElement;
import org.greenbytes.http.sfv.Parser;
import org.junit.jupiter.api.Test;

class RateLimitHeadersTest {

  @Test
  void policyAndRateLimitAreStructuredFieldLists() {
    RateLimitPolicy policy = RateLimitPolicy.builder("api").limit(100, Duration.ofMinutes(15)).build();
    String p = RateLimitHeaders.policyItems(policy);
    assertThat(p).isEqualTo("\"api\";q=100;w=900");
    List<ListElement<?>> items = Parser.parseList(p).get();
    assertThat(items).hasSize(1);
    Item<?> item = (Item<?>) items.get(0);
    assertThat(item.get()).isEqualTo("api");
    assertThat(item.getParams().get("q").get()).isEqualTo(100L);
    assertThat(item.getParams().get("w").get()).isEqualTo(900L);

    Decision d = Decision.allowed("api", 100, 42, Duration.ofMinutes(15), Duration.ofMillis(16_200));
    Item<?> rl = (Item<?>) Parser.parseList(RateLimitHeaders.rateLimitItem(policy, d)).get().get(0);
    assertThat(rl.get()).isEqualTo("api");
    assertThat(rl.getParams().get("r").get()).isEqualTo(42L);
    assertThat(rl.getParams().get("t").get()).isEqualTo(17L);
  }

  @Test
  void multiLimitPoliciesNameEachLimitAndPointAtTheBindingOne() {
    RateLimitPolicy policy = RateLimitPolicy.builder("user")
        .limit(10, Duration.ofSeconds(1)).limit(1000, Duration.ofHours(1)).build();
    List<ListElement<?>> items = Parser.parseList(RateLimitHeaders.policyItems(policy)).get();
    assertThat(items).extracting(e -> (Object) ((Item<?>) e).get()).containsExactly("user", "user-2");
    Decision hourly = Decision.rejected("user", 1000, 0, Duration.ofHours(1), Duration.ofMinutes(5), Duration.ofSeconds(2));
    Item<?> rl = (Item<?>) Parser.parseList(RateLimitHeaders.rateLimitItem(policy, hourly)).get().get(0);
    assertThat(rl.get()).isEqualTo("user-2");
    // Retry-After never names a moment before t (draft-10 §6)
    assertThat(RateLimitHeaders.retryAfterSeconds(hourly)).isEqualTo(300);
  }

  @Test
  void roundsUpAndFormatsDates() {
    assertThat(RateLimitHeaders.ceilSeconds(Duration.ofMillis(100))).isEqualTo(1);
    assertThat(RateLimitHeaders.ceilSeconds(Duration.ZERO)).isZero();
    assertThat(RateLimitHeaders.ceilSeconds(Duration.ofSeconds(3))).isEqualTo(3);
    assertThat(RateLimitHeaders.httpDate(Instant.parse("1994-11-06T08:49:37Z"))).isEqualTo("Sun, 06 Nov 1994 08:49:37 GMT");
    Decision d = Decision.rejected("a", 1, 0, Duration.ofSeconds(1), Duration.ofMillis(500), Duration.ZERO);
    assertThat(RateLimitHeaders.retryAfterSeconds(d)).isEqualTo(1);
    assertThat(RateLimitHeaders.resetEpochSeconds(Instant.ofEpochSecond(1000), d)).isEqualTo(1001);
  }
}
