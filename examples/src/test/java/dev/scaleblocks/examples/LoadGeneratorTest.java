package dev.scaleblocks.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.Test;

class LoadGeneratorTest {

  private static final String SCRAPE =
      String.join(
          "\n",
          "# HELP scaleblocks_cache_gets_total",
          "# TYPE scaleblocks_cache_gets_total counter",
          "scaleblocks_cache_gets_total{cache=\"products\",instance=\"a\",result=\"hit\",tier=\"l1\"} 90.0",
          "scaleblocks_cache_gets_total{cache=\"products\",instance=\"a\",result=\"miss\",tier=\"l1\"} 10.0",
          "scaleblocks_cache_gets_total{cache=\"products\",instance=\"a\",result=\"hit\",tier=\"l2\"} 6.0",
          "scaleblocks_cache_gets_total{cache=\"products\",instance=\"a\",result=\"miss\",tier=\"l2\"} 4.0",
          "scaleblocks_cache_loads_total{cache=\"products\",result=\"success\"} 4.0",
          "");

  @Test
  void parsesCacheCountersByTierAndResult() {
    assertThat(LoadGenerator.parseCacheCounts(SCRAPE))
        .containsEntry("l1:hit", 90.0)
        .containsEntry("l1:miss", 10.0)
        .containsEntry("l2:hit", 6.0)
        .containsEntry("l2:miss", 4.0)
        .hasSize(4);
  }

  @Test
  void hitRatioCountsBothTiersOverTheRunOnly() {
    Map<String, Double> before = Map.of("l1:hit", 40.0, "l1:miss", 5.0, "l2:hit", 2.0);
    Map<String, Double> after = LoadGenerator.parseCacheCounts(SCRAPE);
    // during the run: 50 L1 hits and 5 L1 misses, 4 of which L2 answered
    assertThat(LoadGenerator.hitRatio(before, after)).isCloseTo((50 + 4) / 55.0, within(1e-9));
    // since start: (90 + 6) of 100 lookups
    assertThat(LoadGenerator.hitRatio(Map.of(), after)).isCloseTo(0.96, within(1e-9));
    assertThat(LoadGenerator.hitRatio(Map.of(), Map.of())).isNaN();
  }
}
