package dev.scaleblocks.sharding;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The Maglev table grows when the shard count crosses a power of two above {@code tableSize / 100},
 * and that move is a cliff: the documented figures come from here.
 */
class MaglevTableSizeTest {

  private static ShardRouter<String> maglev(int shards, int tableSize) {
    ShardRouter.Builder<String> b = ShardRouter.maglev();
    if (tableSize > 0) {
      b.tableSize(tableSize);
    }
    for (int i = 0; i < shards; i++) {
      b.shard("db-" + i, "db-" + i);
    }
    return b.build();
  }

  /** Fraction of sampled keys whose owner changes to another existing shard. */
  private static double movedBetweenExisting(ShardRouter<String> before, ShardRouter<String> after) {
    int keys = 200_000;
    int moved = 0;
    String added = after.shards().get(after.shards().size() - 1).name();
    for (long k = 0; k < keys; k++) {
      String was = before.route(k);
      String now = after.route(k);
      if (!now.equals(was) && !now.equals(added)) {
        moved++;
      }
    }
    return moved / (double) keys;
  }

  @Test
  void tableSizeStepsAtPowersOfTwoAboveTheMinimum() {
    assertThat(MaglevRouter.tableSizeFor(MaglevRouter.DEFAULT_TABLE, 512)).isEqualTo(65_537);
    assertThat(MaglevRouter.tableSizeFor(MaglevRouter.DEFAULT_TABLE, 513)).isEqualTo(102_407);
    assertThat(MaglevRouter.tableSizeFor(MaglevRouter.DEFAULT_TABLE, 1024)).isEqualTo(102_407);
    assertThat(MaglevRouter.tableSizeFor(MaglevRouter.DEFAULT_TABLE, 1025)).isEqualTo(204_803);
    assertThat(MaglevRouter.tableSizeFor(204_800, 1025)).isEqualTo(204_803);
  }

  @Test
  void crossingABoundaryMovesAlmostEveryKeyAndAFixedTableDoesNot() {
    double at513 = movedBetweenExisting(maglev(512, 0), maglev(513, 0));
    double at1025 = movedBetweenExisting(maglev(1024, 0), maglev(1025, 0));
    double within = movedBetweenExisting(maglev(1000, 0), maglev(1001, 0));
    double fixed = movedBetweenExisting(maglev(1024, 204_800), maglev(1025, 204_800));
    System.out.printf(
        "maglev keys moved between existing shards: 512->513 %.4f, 1024->1025 %.4f, 1000->1001 %.4f,"
            + " 1024->1025 with tableSize(204800) %.4f%n",
        at513, at1025, within, fixed);
    assertThat(at513).isGreaterThan(0.9);
    assertThat(at1025).isGreaterThan(0.9);
    assertThat(within).isLessThan(0.05);
    assertThat(fixed).isLessThan(0.05);
  }
}
