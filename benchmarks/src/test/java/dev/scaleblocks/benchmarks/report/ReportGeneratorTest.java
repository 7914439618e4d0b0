package dev.scaleblocks.benchmarks.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.annotations.Benchmark;

class ReportGeneratorTest {

  private static final List<Goal> GOALS =
      List.of(
          Goal.throughputAtLeast(
              "cache", "CacheBenchmark.l1Hit", "CacheBenchmark.caffeineGetIfPresent", 0.8, "L1 hit vs Caffeine"),
          Goal.timeAtMost(
              "ratelimit", "LimiterBenchmark.ours", "LimiterBenchmark.bucket4j", 1.5, "local vs bucket4j"),
          Goal.nanosAtMost("sharding", "RouteBenchmark.route", "RouteBenchmark.route", 20, "jump/Maglev ≤ 20 ns")
              .withParams(Map.of("algorithm", "jump"), Map.of("algorithm", "guava")),
          Goal.nanosAtMost("sharding", "RouteBenchmark.route", "RouteBenchmark.route", 20, "jump/Maglev ≤ 20 ns")
              .withParams(Map.of("algorithm", "maglev"), Map.of("algorithm", "guava")),
          Goal.throughputAtLeast(
              "pooling", "PoolBenchmark.routing", "PoolBenchmark.rawHikari", 0.95, "routing vs raw HikariCP"));

  private static JmhJson.Run run;

  @BeforeAll
  static void readFixture() throws IOException {
    try (InputStream in = ReportGeneratorTest.class.getResourceAsStream("/report/fixture.json")) {
      run = JmhJson.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  private static Report report() {
    return new Report(GOALS, run, new Report.Environment("2026-11-23", "Test CPU", 2, "full"), List.of());
  }

  private static Comparison row(String name, String param) {
    return report().rows().stream()
        .filter(c -> c.ours().shortName().equals(name) && c.ours().paramsText().contains(param))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void parsesScoresParamsNaNErrorsAndAllocation() {
    assertThat(run.results()).hasSize(11);
    JmhResult first = run.results().get(0);
    assertThat(first.shortName()).isEqualTo("CacheBenchmark.l1Hit");
    assertThat(first.module()).isEqualTo("cache");
    assertThat(first.allocBytesPerOp()).isEqualTo(0.0);
    assertThat(first.opsPerSecond()).hasValueCloseTo(90e6, within(1.0));
    JmhResult nanError = run.results().get(2);
    assertThat(nanError.params()).containsEntry("size", "10");
    assertThat(nanError.error()).isNaN();
    assertThat(run.settings().get(0).text()).isEqualTo("forks 2, warmup 3 × 1 s, measurement 5 × 1 s");
  }

  @Test
  void throughputRatioWithPropagatedError() {
    Comparison c = row("CacheBenchmark.l1Hit", "");
    assertThat(c.ratio()).isCloseTo(0.9, within(1e-9));
    // 5% and 5% relative error in quadrature
    assertThat(c.ratioError()).isCloseTo(0.9 * Math.sqrt(0.0025 + 0.0025), within(1e-9));
    assertThat(c.verdict()).isEqualTo(Comparison.Verdict.MET);
    assertThat(c.inconclusive()).isFalse();
  }

  @Test
  void timeRatioPairsEqualParamsAndConvertsUnits() {
    Comparison small = row("LimiterBenchmark.ours", "size=10");
    assertThat(small.anchor().params()).containsEntry("size", "10");
    assertThat(small.ratio()).isCloseTo(1.5, within(1e-9));
    assertThat(small.ratioError()).isNaN();
    assertThat(small.verdict()).isEqualTo(Comparison.Verdict.MET);

    Comparison large = row("LimiterBenchmark.ours", "size=1000");
    assertThat(large.anchor().unit()).isEqualTo("us/op");
    assertThat(large.ratio()).isCloseTo(2.0, within(1e-9));
    assertThat(large.verdict()).isEqualTo(Comparison.Verdict.NOT_MET);
  }

  @Test
  void absoluteBoundWithAnchorPinnedByParameter() {
    Comparison jump = row("RouteBenchmark.route", "algorithm=jump");
    assertThat(jump.anchor().params()).containsEntry("algorithm", "guava");
    assertThat(jump.ratio()).isCloseTo(1.2, within(1e-9));
    assertThat(jump.verdict()).isEqualTo(Comparison.Verdict.MET);
    assertThat(row("RouteBenchmark.route", "algorithm=maglev").verdict())
        .isEqualTo(Comparison.Verdict.NOT_MET);
    // the anchor row is not reported as one of ours
    assertThat(report().rows())
        .noneMatch(c -> c.ours().paramsText().contains("algorithm=guava"));
  }

  @Test
  void missingAnchorIsSaidNotHidden() {
    Comparison c = row("PoolBenchmark.routing", "");
    assertThat(c.anchor()).isNull();
    assertThat(c.verdict()).isEqualTo(Comparison.Verdict.NO_ANCHOR);
    assertThat(report().markdown()).contains("PoolBenchmark.rawHikari (not run)");
  }

  @Test
  void markdownHasHeaderTablesVerdictsAndUnpairedResults() {
    String md = report().markdown();
    assertThat(md)
        .contains("| CPU | Test CPU, 2 cores |")
        .contains("| JDK | 17.0.15 (OpenJDK 64-Bit Server VM 17.0.15+6) |")
        .contains("| JMH | 1.37: forks 2, warmup 3 × 1 s, measurement 5 × 1 s |")
        .contains("5 results ran fewer than 5 forks: their verdicts are indicative only and not counted.")
        .contains("## cache")
        .contains("| CacheBenchmark.l1Hit |  | 90.00 ± 4.500 | ops/us | 0.0 | CacheBenchmark.caffeineGetIfPresent"
            + " | 100.0 ± 5.000 ops/us | 0.90 ± 0.06× thrpt | ≥ 0.80× thrpt | met (indicative: 1 fork) |")
        .contains("| 2.00 ± 0.14× time | ≤ 1.50× time | **not met** (indicative: 1 fork) |")
        .contains("≤ 20.00 ns/op")
        .contains("size=1000")
        .contains("threads=4")
        .contains("## Other results")
        .contains("core: HashingBenchmark.somethingNew")
        .contains("![cache ratios](charts/cache.svg)");
  }

  @Test
  void writesMarkdownAndOneSvgPerAreaWithRatios(@TempDir Path dir) throws IOException {
    Report.Section quality = new Report.Section("Sharding quality", "| router | max/mean |\n|---|---|\n| jump | 1.004 |\n");
    Report report =
        ReportGenerator.write(
            new Report(GOALS, run, new Report.Environment("2026-11-23", "Test CPU", 2, "full"), List.of(quality)),
            dir.resolve("benchmarks.md"),
            dir.resolve("charts"));
    assertThat(report.rows()).hasSize(6);
    String md = Files.readString(dir.resolve("benchmarks.md"));
    assertThat(md).contains("## Sharding quality").contains("| jump | 1.004 |");
    // pooling has no ratio (anchor missing): no chart
    assertThat(dir.resolve("charts/pooling.svg")).doesNotExist();
    String svg = Files.readString(dir.resolve("charts/cache.svg"));
    assertThat(svg).startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"").endsWith("</svg>\n");
    assertThat(svg).contains(">l1Hit (thrpt)<").contains("0.90×").contains("#2e7d32");
    String ratelimit = Files.readString(dir.resolve("charts/ratelimit.svg"));
    assertThat(ratelimit).contains("#c62828").contains("size=1000");
    // well-formed XML
    assertThat(parseableXml(svg)).isTrue();
    assertThat(parseableXml(ratelimit)).isTrue();
  }

  private static JmhResult forks(String method, String unit, double... scores) {
    List<Double> list = new java.util.ArrayList<>();
    for (double s : scores) {
      list.add(s);
    }
    double mean = list.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    return new JmhResult("dev.scaleblocks.benchmarks.x.B." + method, unit.startsWith("ops") ? "thrpt" : "avgt",
        1, Map.of(), mean, 1, unit, Double.NaN, list);
  }

  @Test
  void verdictOverTheMedianOfFiveForksNotTheMean() {
    // one fork of ours slowed 4× by the machine: the mean (28 ns) would fail ≤ 1.2×, the median passes
    JmhResult ours = forks("a", "ns/op", 11, 10, 70, 9, 10);
    JmhResult anchor = forks("b", "ns/op", 10, 9, 10, 11, 10);
    Comparison c = Comparison.evaluate(Goal.timeAtMost("x", "B.a", "B.b", 1.2, "t"), ours, anchor);
    assertThat(ours.centre()).isEqualTo(10);
    assertThat(c.ratio()).isCloseTo(1.0, within(1e-9));
    assertThat(c.verdict()).isEqualTo(Comparison.Verdict.MET);
    assertThat(c.enoughForks()).isTrue();
    // the range pairs our fastest fork with the anchor's slowest and the reverse: 9/11 .. 70/9
    assertThat(c.ratioMin()).isCloseTo(9.0 / 11, within(1e-9));
    assertThat(c.ratioMax()).isCloseTo(70.0 / 9, within(1e-9));
    assertThat(c.inconclusive()).isTrue();
    assertThat(Report.score(ours)).isEqualTo("10.00 (9.000–70.00, 5 forks)");
  }

  @Test
  void throughputForksAndTooFewForksAreIndicative() {
    JmhResult ours = forks("a", "ops/us", 90, 95, 92, 91, 93);
    JmhResult anchor = forks("b", "ops/us", 100, 99, 101, 100, 98);
    Comparison c = Comparison.evaluate(Goal.throughputAtLeast("x", "B.a", "B.b", 0.8, "t"), ours, anchor);
    assertThat(c.ratio()).isCloseTo(92.0 / 100, within(1e-9));
    assertThat(c.verdict()).isEqualTo(Comparison.Verdict.MET);
    assertThat(c.inconclusive()).isFalse();
    assertThat(Math.min(c.ratioMin(), c.ratioMax())).isCloseTo(90.0 / 101, within(1e-9));
    JmhResult three = forks("a", "ops/us", 90, 95, 92);
    Comparison few = Comparison.evaluate(Goal.throughputAtLeast("x", "B.a", "B.b", 0.8, "t"), three, anchor);
    assertThat(few.verdict()).isEqualTo(Comparison.Verdict.MET);
    assertThat(few.enoughForks()).isFalse();
  }

  @Test
  void inconclusiveWhenErrorBarCrossesTheGoal() {
    JmhResult ours = new JmhResult("dev.scaleblocks.benchmarks.x.B.a", "avgt", 1, Map.of(), 15, 3, "ns/op", Double.NaN);
    JmhResult anchor = new JmhResult("dev.scaleblocks.benchmarks.x.B.b", "avgt", 1, Map.of(), 10, 1, "ns/op", Double.NaN);
    Comparison c = Comparison.evaluate(Goal.timeAtMost("x", "B.a", "B.b", 1.6, "t"), ours, anchor);
    assertThat(c.verdict()).isEqualTo(Comparison.Verdict.MET);
    assertThat(c.inconclusive()).isTrue();
  }

  /** Every goal names real {@code @Benchmark} methods, so a rename cannot silently drop a row. */
  @Test
  void everyGoalNamesAnExistingBenchmarkMethod() {
    for (Goal goal : Goals.all()) {
      assertThat(benchmarkExists(goal.area(), goal.ours())).as(goal.ours()).isTrue();
      if (goal.hasAnchor()) {
        assertThat(benchmarkExists(goal.area(), goal.anchor())).as(goal.anchor()).isTrue();
      }
    }
  }

  @Test
  void includeRegexSelectsExactlyTheNamedBenchmarks() {
    Pattern p = Pattern.compile(Goals.includeRegex(GOALS));
    assertThat(p.matcher("dev.scaleblocks.benchmarks.cache.CacheBenchmark.l1Hit").find()).isTrue();
    assertThat(p.matcher("dev.scaleblocks.benchmarks.cache.CacheBenchmark.l1HitBatch").find()).isFalse();
    assertThat(p.matcher("dev.scaleblocks.benchmarks.cache.OtherCacheBenchmark.l1Hit").find()).isFalse();
  }

  private static boolean benchmarkExists(String area, String shortName) {
    int dot = shortName.indexOf('.');
    try {
      Class<?> cls =
          Class.forName("dev.scaleblocks.benchmarks." + area + "." + shortName.substring(0, dot));
      for (Method m : cls.getMethods()) {
        if (m.getName().equals(shortName.substring(dot + 1)) && m.isAnnotationPresent(Benchmark.class)) {
          return true;
        }
      }
      return false;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  private static boolean parseableXml(String xml) {
    try {
      javax.xml.parsers.DocumentBuilderFactory.newInstance()
          .newDocumentBuilder()
          .parse(new java.io.ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
      return true;
    } catch (Exception e) {
      return false;
    }
  }
}
