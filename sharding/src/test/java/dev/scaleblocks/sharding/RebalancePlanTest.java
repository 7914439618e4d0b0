package dev.scaleblocks.sharding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RebalancePlanTest {

  private static ShardRouter<String> build(ShardRouter.Builder<String> b, int n) {
    for (int i = 0; i < n; i++) {
      b.shard("s" + i, "s" + i);
    }
    return b.build();
  }

  private static double sampledMoved(ShardRouter<String> a, ShardRouter<String> b) {
    SplittableRandom random = new SplittableRandom(1);
    int moved = 0;
    for (int i = 0; i < 200_000; i++) {
      String key = "key:" + random.nextLong();
      if (!a.route(key).equals(b.route(key))) {
        moved++;
      }
    }
    return moved / 200_000.0;
  }

  @Test
  void ringPlanIsExactAndMovesOnlyToTheNewShard() {
    ShardRouter<String> before = build(ShardRouter.<String>ketama().keyHash(KeyHash.XXHASH64), 9);
    ShardRouter<String> after = before.withShard("s9", "s9");
    RebalancePlan plan = RebalancePlan.between(before, after);
    assertThat(plan.method()).isEqualTo(RebalancePlan.Method.RING_RANGES);
    assertThat(plan.idealFraction()).isCloseTo(0.1, within(1e-12));
    assertThat(plan.moves()).allSatisfy(m -> assertThat(m.to()).isEqualTo("s9"));
    assertThat(plan.movedFraction()).isCloseTo(sampledMoved(before, after), within(0.005));
    long total = 0;
    for (RebalancePlan.Move m : plan.moves()) {
      for (RebalancePlan.Range r : m.ranges()) {
        total += r.size();
        // any position inside a moving range really moves
        long mid = r.start() + r.size() / 2;
        KetamaRouter<String> b = (KetamaRouter<String>) before;
        KetamaRouter<String> a = (KetamaRouter<String>) after;
        assertThat(b.shards().get(b.indexOfHash(mid)).name()).isEqualTo(m.from());
        assertThat(a.shards().get(a.indexOfHash(mid)).name()).isEqualTo(m.to());
      }
    }
    assertThat(total / (double) (1L << 32)).isCloseTo(plan.movedFraction(), within(1e-12));
  }

  @Test
  void slotPlanOnRemoveMovesExactlyTheVictimsSlots() {
    ShardRouter<String> before = build(ShardRouter.hashSlots(), 3);
    ShardRouter<String> after = before.withoutShard("s1");
    RebalancePlan plan = RebalancePlan.between(before, after);
    assertThat(plan.method()).isEqualTo(RebalancePlan.Method.SLOT_RANGES);
    assertThat(plan.moves()).allSatisfy(m -> assertThat(m.from()).isEqualTo("s1"));
    assertThat(plan.movedFraction()).isCloseTo(5462 / 16384.0, within(1e-12));
    assertThat(plan.idealFraction()).isCloseTo(1 / 3.0, within(1e-12));
    assertThat(plan.moves().get(0).ranges().get(0).start()).isEqualTo(5461);
  }

  @Test
  void slotPlanOnAddTakesAnEqualShare() {
    ShardRouter<String> before = build(ShardRouter.hashSlots(), 3);
    ShardRouter<String> after = before.withShard("s3", "s3");
    RebalancePlan plan = RebalancePlan.between(before, after);
    assertThat(plan.moves()).allSatisfy(m -> assertThat(m.to()).isEqualTo("s3"));
    assertThat(plan.movedFraction()).isCloseTo(4096 / 16384.0, within(1e-12));
  }

  @Test
  void maglevPlanCountsTableEntries() {
    ShardRouter<String> before = build(ShardRouter.maglev(), 10);
    ShardRouter<String> after = before.withoutShard("s4");
    RebalancePlan plan = RebalancePlan.between(before, after);
    assertThat(plan.method()).isEqualTo(RebalancePlan.Method.TABLE_ENTRIES);
    assertThat(plan.movedFraction()).isCloseTo(sampledMoved(before, after), within(0.005));
    // Maglev is not perfectly monotone: a little also moves between surviving shards
    double fromVictim = 0;
    double fromOthers = 0;
    for (RebalancePlan.Move m : plan.moves()) {
      if (m.from().equals("s4")) {
        fromVictim += m.fraction();
      } else {
        fromOthers += m.fraction();
      }
    }
    assertThat(fromVictim).isCloseTo(0.1, within(0.002));
    assertThat(fromOthers).isLessThan(0.03);
  }

  @Test
  void jumpAndRendezvousAreSampled() {
    ShardRouter<String> before = build(ShardRouter.jump(), 20);
    RebalancePlan plan = RebalancePlan.between(before, before.withShard("s20", "s20"));
    assertThat(plan.method()).isEqualTo(RebalancePlan.Method.SAMPLED_KEYS);
    assertThat(plan.movedFraction()).isCloseTo(1 / 21.0, within(0.005));
    ShardRouter<String> hrw = build(ShardRouter.rendezvous(), 5);
    RebalancePlan weighted = RebalancePlan.between(hrw, hrw.withShard("s0", "s0", 2.0));
    // s0 goes from 1/5 to 2/6 of the keys
    assertThat(weighted.idealFraction()).isCloseTo(2 / 6.0 - 1 / 5.0, within(1e-12));
    assertThat(weighted.movedFraction()).isCloseTo(weighted.idealFraction(), within(0.01));
  }

  @Test
  void keysToMoveListsExactlyTheKeysThatChangeShard() {
    ShardRouter<String> before = build(ShardRouter.rendezvous(), 4);
    ShardRouter<String> after = before.withoutShard("s2");
    RebalancePlan plan = RebalancePlan.between(before, after, 10_000);
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 5_000; i++) {
      keys.add("customer-" + i);
    }
    List<RebalancePlan.KeyMove<String>> moves = plan.keysToMove(keys);
    assertThat(moves).isNotEmpty().allSatisfy(m -> {
      assertThat(m.from()).isEqualTo("s2");
      assertThat(after.route(m.key())).isEqualTo(m.to());
    });
    long expected = keys.stream().filter(k -> before.route(k).equals("s2")).count();
    assertThat(moves).hasSize((int) expected);
    assertThat(plan.moves(moves.get(0).key())).isEqualTo("s2");
  }
}
