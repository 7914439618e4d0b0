package dev.scaleblocks.benchmarks.report;

import java.util.List;

/**
 * The pairing of every benchmark with its anchor and the bar from the design, in one place. When
 * a benchmark is added or renamed, this list is where the report learns of it; benchmarks that no
 * goal names still appear in the report under "other results".
 */
public final class Goals {

  private Goals() {}

  /** Every goal, in report order. */
  public static List<Goal> all() {
    return List.of(
        // core: key hashing (no bar in the design; shown beside the libraries a user would pick)
        Goal.info("core", "HashingBenchmark.xxHash64String", "HashingBenchmark.anchorLz4XxHash64String",
            "xxHash64 of a 32-char String vs lz4-java (encode + hash)"),
        Goal.info("core", "HashingBenchmark.murmur3_64String", "HashingBenchmark.anchorGuavaMurmur3String",
            "Murmur3 of a 32-char String vs Guava murmur3_128"),
        Goal.info("core", "HashingBenchmark.xxHash64Long", "HashingBenchmark.anchorLz4XxHash64Long",
            "xxHash64 of a long vs lz4-java"),
        Goal.info("core", "HashingBenchmark.murmur3_64Long", "HashingBenchmark.anchorGuavaMurmur3Long",
            "Murmur3 of a long vs Guava murmur3_128"),
        // pooling: routing getConnection+close against raw HikariCP, stub driver and PostgreSQL
        Goal.throughputAtLeast("pooling", "PoolRoutingBenchmark.readWriteGetClose",
            "PoolRoutingBenchmark.anchorHikariGetClose", 0.95,
            "ReadWriteDataSource write path ≥ 0.95× raw HikariCP getConnection+close"),
        Goal.throughputAtLeast("pooling", "PoolRoutingBenchmark.readOnlyGetClose",
            "PoolRoutingBenchmark.anchorHikariGetClose", 0.95,
            "ReadWriteDataSource read path (replica) ≥ 0.95× raw HikariCP getConnection+close"),
        Goal.throughputAtLeast("pooling", "PoolRoutingBenchmark.lazySetReadOnlyGetClose",
            "PoolRoutingBenchmark.anchorHikariGetClose", 0.95,
            "lazy connection routed by setReadOnly ≥ 0.95× raw HikariCP getConnection+close"));
  }

  /** A JMH include regex matching every benchmark some goal names (ours and anchors). */
  public static String includeRegex(List<Goal> goals) {
    java.util.Set<String> names = new java.util.TreeSet<>();
    for (Goal g : goals) {
      names.add(g.ours());
      if (g.hasAnchor()) {
        names.add(g.anchor());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (String n : names) {
      sb.append(sb.length() == 0 ? "" : "|").append(java.util.regex.Pattern.quote("." + n)).append('$');
    }
    return sb.toString();
  }
}
