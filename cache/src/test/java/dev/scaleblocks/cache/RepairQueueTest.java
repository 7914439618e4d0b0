package dev.scaleblocks.cache;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The repair queue holds one entry per key, is bounded by keys, and forgets keys written since. */
class RepairQueueTest {

  private static byte[] k(String s) {
    return s.getBytes(UTF_8);
  }

  @Test
  void oneEntryPerKeyHoweverOftenItWasWritten() {
    RepairQueue q = new RepairQueue(100);
    for (int i = 0; i < 27_805; i++) {
      assertThat(q.add(k("key-" + (i % 10)))).isTrue();
    }
    assertThat(q.size()).isEqualTo(10);
  }

  @Test
  void boundedByDistinctKeys() {
    RepairQueue q = new RepairQueue(3);
    assertThat(q.add(k("a"))).isTrue();
    assertThat(q.add(k("b"))).isTrue();
    assertThat(q.add(k("c"))).isTrue();
    assertThat(q.add(k("d"))).isFalse();
    assertThat(q.add(k("a"))).as("a key already queued is still accepted").isTrue();
    assertThat(q.size()).isEqualTo(3);
  }

  @Test
  void aLaterSuccessfulWriteCancelsTheRepairAndPollTakesOldestFirst() {
    RepairQueue q = new RepairQueue(10);
    q.add(k("a"));
    q.add(k("b"));
    q.add(k("c"));
    q.remove(k("b"));
    List<byte[]> batch = q.poll(10);
    assertThat(batch).extracting(b -> new String(b, UTF_8)).containsExactly("a", "c");
    assertThat(q.isEmpty()).isTrue();
    q.requeue(batch);
    assertThat(q.size()).isEqualTo(2);
  }
}
