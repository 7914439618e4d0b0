package dev.scaleblocks.benchmarks.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns JMH JSON results into {@code docs/benchmarks.md} and {@code docs/charts/*.svg}.
 *
 * <pre>
 * java -cp benchmarks.jar dev.scaleblocks.benchmarks.report.ReportGenerator \
 *     --results benchmarks/results/full.json [--results more.json ...] \
 *     --out docs/benchmarks.md --charts docs/charts --label "full" \
 *     [--section "Sharding quality=benchmarks/results/sharding-quality.md"]
 * java -cp benchmarks.jar dev.scaleblocks.benchmarks.report.ReportGenerator --include-regex
 * </pre>
 *
 * <p>Prints the verdict counts; the exit status is 0 even when goals are not met (the report says
 * so), and 2 for bad arguments or unreadable input.
 */
public final class ReportGenerator {

  private ReportGenerator() {}

  public static void main(String[] args) throws IOException {
    if (args.length == 1 && args[0].equals("--include-regex")) {
      System.out.println(Goals.includeRegex(Goals.all()));
      return;
    }
    List<Path> inputs = new ArrayList<>();
    List<Report.Section> sections = new ArrayList<>();
    Path out = Path.of("docs/benchmarks.md");
    Path charts = Path.of("docs/charts");
    String label = "full";
    String date = LocalDate.now(ZoneOffset.UTC).toString();
    String cpu = cpuModel();
    int cores = Runtime.getRuntime().availableProcessors();
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (i + 1 >= args.length) {
        usage("missing value after " + flag);
      }
      String value = args[++i];
      switch (flag) {
        case "--results":
          inputs.add(Path.of(value));
          break;
        case "--out":
          out = Path.of(value);
          break;
        case "--charts":
          charts = Path.of(value);
          break;
        case "--label":
          label = value;
          break;
        case "--date":
          date = value;
          break;
        case "--cpu":
          cpu = value;
          break;
        case "--cores":
          cores = Integer.parseInt(value);
          break;
        case "--section":
          int eq = value.indexOf('=');
          if (eq <= 0) {
            usage("--section must be TITLE=FILE but was " + value);
          }
          Path file = Path.of(value.substring(eq + 1));
          if (Files.exists(file)) {
            sections.add(
                new Report.Section(value.substring(0, eq), Files.readString(file, StandardCharsets.UTF_8)));
          }
          break;
        default:
          usage("unknown option " + flag);
      }
    }
    if (inputs.isEmpty()) {
      usage("at least one --results file is required");
    }
    Report report = generate(inputs, sections, new Report.Environment(date, cpu, cores, label), out, charts);
    long met = report.rows().stream()
        .filter(c -> c.enoughForks() && c.verdict() == Comparison.Verdict.MET).count();
    long notMet = report.rows().stream()
        .filter(c -> c.enoughForks() && c.verdict() == Comparison.Verdict.NOT_MET).count();
    long indicative = report.rows().stream()
        .filter(c -> !c.enoughForks()
            && (c.verdict() == Comparison.Verdict.MET || c.verdict() == Comparison.Verdict.NOT_MET))
        .count();
    System.out.printf("%s: %d goals met, %d not met (over >= %d forks), %d indicative, %d comparisons%n",
        out, met, notMet, JmhResult.MIN_FORKS, indicative, report.rows().size());
  }

  /** Reads the inputs, writes the markdown and the charts, returns the report for inspection. */
  static Report generate(
      List<Path> inputs, List<Report.Section> sections, Report.Environment env, Path out, Path charts)
      throws IOException {
    List<JmhResult> results = new ArrayList<>();
    List<JmhJson.Settings> settings = new ArrayList<>();
    for (Path input : inputs) {
      JmhJson.Run run = JmhJson.read(input);
      results.addAll(run.results());
      settings.addAll(run.settings());
    }
    Report report = new Report(Goals.all(), new JmhJson.Run(results, settings), env, sections);
    return write(report, out, charts);
  }

  static Report write(Report report, Path out, Path charts) throws IOException {
    Path parent = out.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.createDirectories(charts);
    Files.writeString(out, report.markdown(), StandardCharsets.UTF_8);
    for (Map.Entry<String, String> chart : report.charts().entrySet()) {
      Files.writeString(charts.resolve(chart.getKey() + ".svg"), chart.getValue(), StandardCharsets.UTF_8);
    }
    return report;
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8)) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: fall through
    }
    return System.getProperty("os.arch", "unknown");
  }

  private static void usage(String problem) {
    System.err.println("report: " + problem);
    System.err.println(
        "usage: ReportGenerator --results FILE.json [--results ...] [--out docs/benchmarks.md]"
            + " [--charts docs/charts] [--label full] [--date YYYY-MM-DD] [--cpu MODEL] [--cores N]"
            + " [--section TITLE=FILE.md] | --include-regex");
    System.exit(2);
  }
}
