package dev.scaleblocks.sharding;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ShardHashesTest {

  /** The paper's C++ code, transliterated line by line (uint64_t arithmetic, double division). */
  static int paperJumpConsistentHash(long key, int numBuckets) {
    long b = -1;
    long j = 0;
    while (j < numBuckets) {
      b = j;
      key = key * 2862933555777941757L + 1;
      j = (long) ((b + 1) * (((double) (1L << 31)) / ((double) ((key >>> 33) + 1))));
    }
    return (int) b;
  }

  @Test
  void jumpEqualsThePapersReferenceCode() {
    SplittableRandom random = new SplittableRandom(2014);
    int[] bucketCounts = {1, 2, 3, 7, 10, 100, 1000, 65_536, 1 << 20, Integer.MAX_VALUE};
    for (int i = 0; i < 100_000; i++) {
      long key = i < 1000 ? i : random.nextLong();
      int buckets = bucketCounts[i % bucketCounts.length];
      assertThat(ShardHashes.jump(key, buckets))
          .as("key %d buckets %d", key, buckets)
          .isEqualTo(paperJumpConsistentHash(key, buckets));
    }
  }

  @Test
  void jumpAgreesWithGuavaConsistentHash() {
    // Guava's consistentHash is the same recurrence; it uses (c+1) / (x / 2^31), a single rounding
    SplittableRandom random = new SplittableRandom(7);
    int differences = 0;
    for (int i = 0; i < 100_000; i++) {
      long key = random.nextLong();
      int buckets = 1 + random.nextInt(5000);
      if (ShardHashes.jump(key, buckets) != com.google.common.hash.Hashing.consistentHash(key, buckets)) {
        differences++;
      }
    }
    assertThat(differences).isLessThanOrEqualTo(2);
  }

  @Test
  void jumpMovesOnlyToTheNewBucket() {
    SplittableRandom random = new SplittableRandom(3);
    for (int i = 0; i < 20_000; i++) {
      long key = random.nextLong();
      int n = 1 + random.nextInt(200);
      int before = ShardHashes.jump(key, n);
      int after = ShardHashes.jump(key, n + 1);
      assertThat(after).isIn(before, n);
    }
  }

  @Test
  void redisCrc16AndKeySlotVectors() {
    byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
    assertThat(ShardHashes.crc16(check, 0, check.length)).isEqualTo(0x31C3); // Redis crc16.c
    // CLUSTER KEYSLOT documentation examples
    assertThat(ShardHashes.redisSlot("somekey")).isEqualTo(11058);
    assertThat(ShardHashes.redisSlot("foo{hash_tag}")).isEqualTo(2515);
    // hash tag rules from the Redis Cluster specification
    assertThat(ShardHashes.redisSlot("{user1000}.following"))
        .isEqualTo(ShardHashes.redisSlot("{user1000}.followers"))
        .isEqualTo(ShardHashes.redisSlot("user1000"));
    assertThat(ShardHashes.redisSlot("foo{}{bar}")).isNotEqualTo(ShardHashes.redisSlot("bar"));
    assertThat(ShardHashes.redisSlot("foo{{bar}}zap")).isEqualTo(ShardHashes.redisSlot("{bar"));
    assertThat(ShardHashes.redisSlot("foo{bar}{zap}")).isEqualTo(ShardHashes.redisSlot("bar"));
    assertThat(ShardHashes.redisSlot("")).isZero();
  }

  @Test
  void redisSlotOfStringsBytesAndNumbersAgree() {
    SplittableRandom random = new SplittableRandom(5);
    for (int i = 0; i < 20_000; i++) {
      StringBuilder sb = new StringBuilder();
      for (int c = random.nextInt(30); c > 0; c--) {
        int pick = random.nextInt(12);
        sb.append(pick == 0 ? '{' : pick == 1 ? '}' : pick == 2 ? '\u00fc' : (char) ('a' + random.nextInt(26)));
      }
      String key = sb.toString();
      assertThat(ShardHashes.redisSlot(key))
          .as(key)
          .isEqualTo(ShardHashes.redisSlot(key.getBytes(StandardCharsets.UTF_8)));
      long n = random.nextLong();
      assertThat(ShardHashes.redisSlot(n)).isEqualTo(ShardHashes.redisSlot(Long.toString(n)));
    }
    assertThat(ShardHashes.redisSlot(Long.MIN_VALUE)).isEqualTo(ShardHashes.redisSlot(Long.toString(Long.MIN_VALUE)));
    assertThat(ShardHashes.ketamaHash(0L)).isEqualTo(ShardHashes.ketamaHash("0"));
  }
}
