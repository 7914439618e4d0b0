package dev.scaleblocks.core.hash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.hash.HashCode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import net.jpountz.xxhash.XXHash64;
import net.jpountz.xxhash.XXHashFactory;
import org.junit.jupiter.api.Test;

class HashingTest {

  private static final XXHash64 LZ4 = XXHashFactory.safeInstance().hash64();
  private static final com.google.common.hash.HashFunction GUAVA =
      com.google.common.hash.Hashing.murmur3_128();
  private static final long PRIME32 = 2654435761L;

  /** The sanity buffer of the reference xxhsum (0.6.x): byteGen = PRIME32, byteGen *= byteGen. */
  private static byte[] sanityBuffer(int size) {
    byte[] buffer = new byte[size];
    long byteGen = PRIME32;
    for (int i = 0; i < size; i++) {
      buffer[i] = (byte) (byteGen >>> 24);
      byteGen *= byteGen;
    }
    return buffer;
  }

  @Test
  void xxHash64PublishedVectors() {
    assertThat(Hashing.xxHash64(new byte[0])).isEqualTo(0xEF46DB3751D8E999L);
    assertThat(Hashing.xxHash64("")).isEqualTo(0xEF46DB3751D8E999L);
    assertThat(Hashing.xxHash64("abc")).isEqualTo(0x44BC2CF5AD770999L);
    assertThat(Hashing.xxHash64("abc".getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo(0x44BC2CF5AD770999L);

    byte[] sanity = sanityBuffer(101);
    assertThat(Hashing.xxHash64(sanity, 0, 0, PRIME32)).isEqualTo(0xAC75FDA2929B17EFL);
    assertThat(Hashing.xxHash64(sanity, 0, 1, 0)).isEqualTo(0x4FCE394CC88952D8L);
    assertThat(Hashing.xxHash64(sanity, 0, 1, PRIME32)).isEqualTo(0x739840CB819FA723L);
    assertThat(Hashing.xxHash64(sanity, 0, 14, 0)).isEqualTo(0xCFFA8DB881BC3A3DL);
    assertThat(Hashing.xxHash64(sanity, 0, 14, PRIME32)).isEqualTo(0x5B9611585EFCC9CBL);
    assertThat(Hashing.xxHash64(sanity, 0, 101, 0)).isEqualTo(0x0EAB543384F878ADL);
    assertThat(Hashing.xxHash64(sanity, 0, 101, PRIME32)).isEqualTo(0xCAA65939306F1E21L);
  }

  @Test
  void murmur3PublishedVectors() {
    assertThat(Hashing.murmur3_128("The quick brown fox jumps over the lazy dog").toString())
        .isEqualTo("6c1b07bc7bbc4be347939ac4a93c437a");
    assertThat(Hashing.murmur3_128(new byte[0]).toString())
        .isEqualTo("00000000000000000000000000000000");
    assertThat(Hashing.murmur3_64("The quick brown fox jumps over the lazy dog"))
        .isEqualTo(HashCode.fromString("6c1b07bc7bbc4be347939ac4a93c437a").asLong());
  }

  @Test
  void hash128BytesAndTextMatchGuava() {
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < 200; i++) {
      byte[] data = randomBytes(random, random.nextInt(64));
      Hash128 ours = Hashing.murmur3_128(data);
      HashCode guava = GUAVA.hashBytes(data);
      assertThat(ours.toBytes()).isEqualTo(guava.asBytes());
      assertThat(ours.toString()).isEqualTo(guava.toString());
      assertThat(ours.asLong()).isEqualTo(guava.asLong());
    }
  }

  @Test
  void bytesOfEveryLengthAgreeWithLz4JavaAndGuava() {
    SplittableRandom random = new SplittableRandom(20261123L);
    for (int len = 0; len <= 300; len++) {
      for (int round = 0; round < 20; round++) {
        int pad = random.nextInt(9);
        byte[] data = randomBytes(random, len + 2 * pad);
        long seed = round == 0 ? 0 : random.nextLong();
        assertThat(Hashing.xxHash64(data, pad, len, seed))
            .as("xxHash64 len %d seed %d", len, seed)
            .isEqualTo(LZ4.hash(data, pad, len, seed));
        int mSeed = round == 0 ? 0 : random.nextInt(Integer.MAX_VALUE);
        Hash128 ours = Hashing.murmur3_128(data, pad, len, mSeed);
        HashCode guava = com.google.common.hash.Hashing.murmur3_128(mSeed).hashBytes(data, pad, len);
        assertThat(ours.toString()).as("murmur3_128 len %d seed %d", len, mSeed).isEqualTo(guava.toString());
        assertThat(Hashing.murmur3_64(data, pad, len, mSeed)).isEqualTo(guava.asLong());
        byte[] exact = java.util.Arrays.copyOfRange(data, pad, pad + len);
        assertThat(Hashing.xxHash64(exact)).isEqualTo(LZ4.hash(exact, 0, len, 0));
        assertThat(Hashing.murmur3_64(exact)).isEqualTo(GUAVA.hashBytes(exact).asLong());
      }
    }
  }

  @Test
  void negativeMurmurSeedIsWidenedWithoutSignExtensionAsTheReferenceDoes() {
    // reference: uint64_t h1 = seed (uint32_t); so seed -1 equals h1 = h2 = 0xFFFFFFFF
    byte[] data = "key".getBytes(StandardCharsets.US_ASCII);
    Hash128 minusOne = Hashing.murmur3_128(data, 0, 3, -1);
    assertThat(minusOne.toString())
        .isNotEqualTo(com.google.common.hash.Hashing.murmur3_128(-1).hashBytes(data).toString());
    assertThat(minusOne).isEqualTo(Hashing.murmur3_128(data, 0, 3, 0xFFFFFFFF));
  }

  @Test
  void longsHashTheirLittleEndianBytes() {
    SplittableRandom random = new SplittableRandom(3);
    long[] specials = {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE};
    for (int i = 0; i < 5_000; i++) {
      long v = i < specials.length ? specials[i] : random.nextLong();
      byte[] le = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
      assertThat(Hashing.xxHash64(v)).isEqualTo(LZ4.hash(le, 0, 8, 0));
      HashCode guava = GUAVA.hashLong(v);
      assertThat(Hashing.murmur3_128(v).toString()).isEqualTo(guava.toString());
      assertThat(Hashing.murmur3_64(v)).isEqualTo(guava.asLong());
    }
  }

  @Test
  void randomStringsHashTheirUtf8BytesIncludingMalformedUtf16() {
    SplittableRandom random = new SplittableRandom(11);
    for (int i = 0; i < 5_000; i++) {
      String s = randomString(random, random.nextInt(120), i % 4);
      byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
      assertThat(Hashing.xxHash64(s)).as("xxHash64 of %s", s).isEqualTo(LZ4.hash(utf8, 0, utf8.length, 0));
      HashCode guava = GUAVA.hashString(s, StandardCharsets.UTF_8);
      assertThat(Hashing.murmur3_128(s).toString()).isEqualTo(guava.toString());
      assertThat(Hashing.murmur3_64(s)).isEqualTo(guava.asLong());
      // a CharSequence that is not a String takes the same path
      StringBuilder sb = new StringBuilder(s);
      assertThat(Hashing.xxHash64(sb)).isEqualTo(Hashing.xxHash64(s));
      assertThat(Hashing.murmur3_128(sb)).isEqualTo(Hashing.murmur3_128(s));
    }
  }

  @Test
  void unpairedSurrogateHashesLikeQuestionMark() {
    String lone = "a\uD800b";
    assertThat(Hashing.xxHash64(lone)).isEqualTo(Hashing.xxHash64("a?b"));
    assertThat(Hashing.murmur3_128(lone)).isEqualTo(Hashing.murmur3_128("a?b"));
    String pair = "\uD83D\uDE00"; // U+1F600, 4 UTF-8 bytes
    assertThat(Hashing.xxHash64(pair))
        .isEqualTo(Hashing.xxHash64(new byte[] {(byte) 0xF0, (byte) 0x9F, (byte) 0x98, (byte) 0x80}));
  }

  @Test
  void badArgumentsAreNamed() {
    assertThatThrownBy(() -> Hashing.xxHash64((byte[]) null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("data must not be null");
    assertThatThrownBy(() -> Hashing.murmur3_128((CharSequence) null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("s must not be null");
    assertThatThrownBy(() -> Hashing.xxHash64(new byte[4], -1, 2, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("offset must be in [0, 4] but was -1");
    assertThatThrownBy(() -> Hashing.murmur3_128(new byte[4], 1, 4, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("length must be in [0, 3] for data.length 4 and offset 1 but was 4");
    assertThatThrownBy(() -> Hashing.murmur3_64(new byte[4], 5, 0, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("offset must be in [0, 4] but was 5");
    assertThatThrownBy(() -> Hashing.xxHash64(new byte[4], 0, Integer.MAX_VALUE, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("length must be in [0, 4]");
  }

  private static byte[] randomBytes(SplittableRandom random, int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) random.nextInt(256);
    }
    return b;
  }

  /** kind 0: ASCII; 1: Latin/CJK BMP; 2: with surrogate pairs; 3: with unpaired surrogates. */
  private static String randomString(SplittableRandom random, int n, int kind) {
    StringBuilder sb = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      int pick = random.nextInt(10);
      if (kind == 0 || pick < 5) {
        sb.append((char) random.nextInt(0x80));
      } else if (kind == 1 || pick < 8) {
        sb.append((char) (random.nextBoolean() ? 0x80 + random.nextInt(0x780) : 0x4E00 + random.nextInt(0x5000)));
      } else if (kind == 2) {
        sb.appendCodePoint(0x10000 + random.nextInt(0xFFFFF));
      } else {
        sb.append((char) (0xD800 + random.nextInt(0x800)));
      }
    }
    return sb.toString();
  }
}
