package dev.scaleblocks.benchmarks.sharding;

import dev.scaleblocks.sharding.KeyHash;
import dev.scaleblocks.sharding.RebalancePlan;
import dev.scaleblocks.sharding.ShardRouter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Prints the routing quality table (not timing) as markdown: load balance (max/mean) at 10^6 and
 * 10^7 uniformly random keys, the fraction of keys moved when a shard is added (vs the ideal
 * 1/(n+1)) and removed (vs the victim's share, and how much moved between surviving shards), and
 * the heap retained per router.
 *
 * <p>Usage: {@code java -cp benchmarks/target/benchmarks.jar
 * dev.scaleblocks.benchmarks.sharding.ShardingQuality [output.md] [--quick]}
 */
public final class ShardingQuality {

  private ShardingQuality() {}

  private enum Algo {
    KETAMA("ketama (160 pts, xxHash keys)"),
    JUMP("jump"),
    RENDEZVOUS("rendezvous"),
    MAGLEV("maglev (table ≥ 65537)"),
    HASH_SLOTS("hash slots (16384)");

    final String label;

    Algo(String label) {
      this.label = label;
    }

    ShardRouter<Integer> build(int n) {
      ShardRouter.Builder<Integer> b;
      switch (this) {
        case KETAMA:
          b = ShardRouter.<Integer>ketama().keyHash(KeyHash.XXHASH64);
          break;
        case JUMP:
          b = ShardRouter.jump();
          break;
        case RENDEZVOUS:
          b = ShardRouter.rendezvous();
          break;
        case MAGLEV:
          b = ShardRouter.maglev();
          break;
        default:
          b = ShardRouter.hashSlots();
      }
      for (int i = 0; i < n; i++) {
        b.shard("shard-" + i, i);
      }
      return b.build();
    }
  }

  public static void main(String[] args) throws IOException {
    boolean quick = List.of(args).contains("--quick");
    String out = null;
    for (String a : args) {
      if (!a.startsWith("--")) {
        out = a;
      }
    }
    StringBuilder md = new StringBuilder();
    md.append("| algorithm | shards | max/mean 10^6 | max/mean 10^7 | moved on add | ideal 1/(n+1) | add/ideal "
        + "| moved on remove | victim share | moved between survivors | heap per router |\n");
    md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    int[] sizes = {10, 100, 1000};
    for (Algo algo : Algo.values()) {
      for (int n : sizes) {
        ShardRouter<Integer> router = algo.build(n);
        double m6 = maxOverMean(router, n, 1_000_000, 1);
        boolean skip7 = quick || (algo == Algo.RENDEZVOUS && n == 1000);
        double m7 = skip7 ? Double.NaN : maxOverMean(router, n, 10_000_000, 2);

        ShardRouter<Integer> added = router.withShard("shard-new", n);
        RebalancePlan addPlan = RebalancePlan.between(router, added, 1_000_000);
        double ideal = 1.0 / (n + 1);

        String victim = algo == Algo.JUMP ? "shard-" + (n - 1) : "shard-" + (n / 2);
        ShardRouter<Integer> removed = router.withoutShard(victim);
        RebalancePlan removePlan = RebalancePlan.between(router, removed, 1_000_000);
        double fromSurvivors = 0;
        for (RebalancePlan.Move m : removePlan.moves()) {
          if (!m.from().equals(victim)) {
            fromSurvivors += m.fraction();
          }
        }
        long bytes = retainedBytes(() -> algo.build(n));
        md.append(String.format(Locale.ROOT,
            "| %s | %d | %.4f | %s | %.4f | %.4f | %.3f | %.4f | %.4f | %.4f | %s |%n",
            algo.label, n, m6, skip7 ? "—" : String.format(Locale.ROOT, "%.4f", m7),
            addPlan.movedFraction(), ideal, addPlan.movedFraction() / ideal,
            removePlan.movedFraction(), removePlan.idealFraction(), fromSurvivors, human(bytes)));
        System.err.println("done " + algo + " " + n);
      }
    }
    md.append("\nExact plans (ring ranges, slot ranges, Maglev table entries) where the algorithm has a finite key space; "
        + "jump and rendezvous moves are estimated from 10^6 sampled keys.\n");
    if (out == null) {
      PrintStream stdout = new PrintStream(System.out, true, StandardCharsets.UTF_8);
      stdout.print(md);
    } else {
      Files.writeString(Path.of(out), md.toString(), StandardCharsets.UTF_8);
    }
  }

  private static double maxOverMean(ShardRouter<Integer> router, int n, int keys, long seed) {
    long[] load = new long[n];
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = 0; i < keys; i++) {
      load[router.route(random.nextLong())]++;
    }
    long max = 0;
    for (long l : load) {
      max = Math.max(max, l);
    }
    return max / (keys / (double) n);
  }

  private static long retainedBytes(Supplier<ShardRouter<Integer>> factory) {
    List<Object> keep = new ArrayList<>();
    Runtime rt = Runtime.getRuntime();
    gc();
    long before = rt.totalMemory() - rt.freeMemory();
    for (int i = 0; i < 8; i++) {
      keep.add(factory.get());
    }
    gc();
    long after = rt.totalMemory() - rt.freeMemory();
    if (keep.isEmpty()) {
      throw new AssertionError();
    }
    return Math.max(0, (after - before) / 8);
  }

  private static void gc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
      try {
        Thread.sleep(30);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static String human(long bytes) {
    if (bytes < 10 * 1024) {
      return bytes + " B";
    }
    if (bytes < 10L * 1024 * 1024) {
      return (bytes / 1024) + " KiB";
    }
    return (bytes / (1024 * 1024)) + " MiB";
  }
}
