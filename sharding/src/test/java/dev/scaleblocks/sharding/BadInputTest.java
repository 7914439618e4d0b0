package dev.scaleblocks.sharding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BadInputTest {

  @Test
  void noShards() {
    assertThatThrownBy(() -> ShardRouter.<String>maglev().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("no shards: add at least one with shard(name, handle)");
  }

  @Test
  void duplicateAndEmptyNames() {
    assertThatThrownBy(() -> ShardRouter.<String>ketama().shard("a", "x").shard("a", "y"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("duplicate shard name 'a'");
    assertThatThrownBy(() -> ShardRouter.<String>ketama().shard("", "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("name must not be empty");
    assertThatThrownBy(() -> ShardRouter.<String>ketama().shard("a", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("handle must not be null");
  }

  @Test
  void badWeights() {
    for (double w : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> ShardRouter.<String>rendezvous().shard("a", "x", w))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("weight of shard 'a' must be positive and finite but was " + w);
    }
    assertThatThrownBy(() -> ShardRouter.<String>jump().shard("a", "x", 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("jump consistent hash has no weights: weight of shard 'a' must be 1 but was 2.0");
    ShardRouter<String> r = ShardRouter.<String>maglev().shard("a", "x").build();
    assertThatThrownBy(() -> r.withShard("b", "y", Double.NaN))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("weight of shard 'b' must be positive and finite but was NaN");
  }

  @Test
  void preferenceListLongerThanShards() {
    ShardRouter<String> r = ShardRouter.<String>ketama().shard("a", "x").shard("b", "y").build();
    assertThatThrownBy(() -> r.route("k", 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("n must be in [1, 2] but was 3");
    assertThatThrownBy(() -> r.route(5L, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("n must be in [1, 2] but was 0");
    assertThatThrownBy(() -> r.route((String) null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("key must not be null");
  }

  @Test
  void removals() {
    ShardRouter<String> jump = ShardRouter.<String>jump().shard("a", "x").shard("b", "y").build();
    assertThatThrownBy(() -> jump.withoutShard("a"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("jump consistent hash can only remove the last shard ('b'), not 'a'");
    assertThatThrownBy(() -> jump.withoutShard("zz"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("no shard named 'zz' in [a, b]");
    ShardRouter<String> one = ShardRouter.<String>hashSlots().shard("a", "x").build();
    assertThatThrownBy(() -> one.withoutShard("a"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("cannot remove 'a', the only shard");
  }

  @Test
  void optionsOfOtherAlgorithms() {
    assertThatThrownBy(() -> ShardRouter.<String>jump().tableSize(1000))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("tableSize applies only to maglev, not to jump");
    assertThatThrownBy(() -> ShardRouter.<String>ketama().pointsPerWeight(10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("pointsPerWeight must be a multiple of 4 but was 10");
    assertThatThrownBy(() -> ShardRouter.<String>maglev().tableSize(1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("tableSize must be in [2, 67108864] but was 1");
  }

  @Test
  void slotAssignmentsMustCoverEverySlotOnce() {
    assertThatThrownBy(
            () -> ShardRouter.<String>hashSlots().shard("a", "x").shard("b", "y")
                .slots("a", 0, 8000).slots("b", 8001, 16000).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("slot 16001 is not assigned to any shard");
    assertThatThrownBy(
            () -> ShardRouter.<String>hashSlots().shard("a", "x").shard("b", "y")
                .slots("a", 0, 8000).slots("b", 8000, 16383).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("slot 8000 is assigned twice ('a' and 'b')");
    assertThatThrownBy(
            () -> ShardRouter.<String>hashSlots().shard("a", "x").slots("c", 0, 16383).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("slots assigned to unknown shard 'c'");
    assertThatThrownBy(() -> ShardRouter.<String>hashSlots().slots("a", 10, 5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("to must be in [10, 16383] but was 5");
  }

  @Test
  void aKetamaWeightThatWouldNeedTooManyPointsIsRefusedNotAnOutOfMemoryError() {
    assertThatThrownBy(() -> ShardRouter.<String>ketama().shard("a", "x").shard("big", "y", 1e9).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "weight of shard 'big' is too large: the ketama ring would need more than 1048576 points"
                + " (weight 1.0E9 × 160 points per weight, 160 points before it); lower the weights or pointsPerWeight");
    ShardRouter<String> r = ShardRouter.<String>ketama().shard("a", "x").build();
    assertThatThrownBy(() -> r.withShard("big", "y", 1e9))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("weight of shard 'big' is too large");
    // the largest ring still builds
    assertThat(ShardRouter.<String>ketama().shard("a", "x", 6_553).build().route("k")).isEqualTo("x");
  }
}
