package dev.scaleblocks.core.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CodecTest {

  @Test
  void utf8RoundTripsEveryKindOfText() {
    Codec<String> codec = Codec.utf8();
    for (String s : new String[] {"", "abc", "żółć", "日本語", "\uD83D\uDE00 emoji", "a\u0000b"}) {
      assertThat(codec.decode(codec.encode(s))).isEqualTo(s);
    }
    assertThat(codec.encode("é")).containsExactly(0xC3, 0xA9);
  }

  @Test
  void bytesPassThrough() {
    byte[] b = {1, 2, 3};
    assertThat(Codec.bytes().encode(b)).isSameAs(b);
    assertThat(Codec.bytes().decode(b)).isSameAs(b);
  }

  @Test
  void longsAreEightBytesBigEndian() {
    Codec<Long> codec = Codec.longs();
    assertThat(codec.encode(1L)).containsExactly(0, 0, 0, 0, 0, 0, 0, 1);
    assertThat(codec.encode(-2L)).containsExactly(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE);
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < 10_000; i++) {
      long v = random.nextLong();
      assertThat(codec.decode(codec.encode(v))).isEqualTo(v);
    }
    assertThat(codec.decode(codec.encode(Long.MIN_VALUE))).isEqualTo(Long.MIN_VALUE);
  }

  @Test
  void longsRejectOtherLengths() {
    assertThatThrownBy(() -> Codec.longs().decode(new byte[3]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("long codec needs 8 bytes but got 3");
  }
}
