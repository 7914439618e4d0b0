package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.codec.Codec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One instance, no fault: readers load through the cache while writers change the source of truth
 * and then invalidate (or put) the key. Once everyone has stopped, no key may still be cached with a
 * value older than the source's: a load that read L2 just before an invalidation's tombstone (or a
 * put's value) landed must not be installed in L1 after it.
 */
class InvalidationRaceIT {

  private static final int KEYS = 40;

  private static Thread start(Runnable body) {
    Thread t = new Thread(body, "race");
    t.setDaemon(true);
    t.start();
    return t;
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"jedis", "lettuce"})
  void noLoadRacingAWriteLeavesAnOlderValueCached(String kind) throws Exception {
    Map<String, Long> source = new ConcurrentHashMap<>();
    for (int i = 0; i < KEYS; i++) {
      source.put("k" + i, 0L);
    }
    try (TestL2 client = kind.equals("lettuce") ? TestL2.lettuceStandalone() : TestL2.jedisStandalone();
        TieredCache<String, String> cache = client.attach(TieredCache.builder()
            .name("race-" + UUID.randomUUID())
            .keyCodec(Codec.utf8())
            .valueCodec(Codec.utf8()))
            .l1Ttl(Duration.ofMinutes(5))
            .build()) {
      boolean[] stop = {false};
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 12; t++) {
        threads.add(start(() -> {
          ThreadLocalRandom r = ThreadLocalRandom.current();
          while (!stop[0]) {
            cache.get("k" + r.nextInt(KEYS), k -> {
              String v = Long.toString(source.get(k));
              LockSupport.parkNanos(r.nextInt(200_000)); // a database read
              return v;
            });
          }
        }));
      }
      for (int t = 0; t < 2; t++) {
        boolean puts = t == 1;
        threads.add(start(() -> {
          ThreadLocalRandom r = ThreadLocalRandom.current();
          while (!stop[0]) {
            String k = "k" + r.nextInt(KEYS);
            synchronized (source) { // one writer at a time per source: the order of writes is the source's
              long v = source.merge(k, 1L, Long::sum);
              if (puts) {
                cache.put(k, Long.toString(v));
              } else {
                cache.invalidate(k);
              }
            }
            LockSupport.parkNanos(r.nextInt(500_000));
          }
        }));
      }
      Thread.sleep(4_000);
      stop[0] = true;
      for (Thread t : threads) {
        t.join(10_000);
      }
      List<String> stale = new ArrayList<>();
      for (int i = 0; i < KEYS; i++) {
        String k = "k" + i;
        String cached = cache.getIfPresent(k);
        if (cached != null && Long.parseLong(cached) != source.get(k)) {
          stale.add(k + " cached " + cached + ", source " + source.get(k));
        }
      }
      System.out.println("stale after 4 s of racing loads and writes: " + stale.size() + " " + stale);
      assertThat(stale).as("keys cached with an older value than the source's").isEmpty();
    }
  }
}
