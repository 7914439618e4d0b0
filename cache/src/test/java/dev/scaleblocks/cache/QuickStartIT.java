package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/** The two-tier quick start of docs/cache.md against the real Redis. */
class QuickStartIT {

  @Test
  void twoTierQuickStart() {
    dev.scaleblocks.core.testing.TestServices.redis();
    try (TieredCache<String, QuickStartTest.Product> products = QuickStartTest.twoTier(new SimpleMeterRegistry())) {
      String id = java.util.UUID.randomUUID().toString();
      assertThat(products.get(id, QuickStartTest::loadFromDatabase).name()).isEqualTo("product " + id);
      CacheEntry<QuickStartTest.Product> entry = products.getEntryIfPresent(id);
      assertThat(entry).isNotNull();
      products.invalidate(id);
    }
  }
}
