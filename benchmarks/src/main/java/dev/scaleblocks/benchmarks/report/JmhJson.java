package dev.scaleblocks.benchmarks.report;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads the file JMH writes with {@code -rf json}. */
public final class JmhJson {

  private JmhJson() {}

  /** The run settings one result was measured with, as JMH recorded them. */
  public record Settings(
      String jmhVersion,
      String jdkVersion,
      String vmName,
      String vmVersion,
      int forks,
      int warmupIterations,
      String warmupTime,
      int measurementIterations,
      String measurementTime) {

    /** {@code forks 2, warmup 3 × 1 s, measurement 5 × 1 s}. */
    public String text() {
      return "forks "
          + forks
          + ", warmup "
          + warmupIterations
          + " × "
          + warmupTime
          + ", measurement "
          + measurementIterations
          + " × "
          + measurementTime;
    }
  }

  /** Results and, per result, its settings (same order). */
  public record Run(List<JmhResult> results, List<Settings> settings) {}

  public static Run read(Path file) throws IOException {
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return parse(JsonParser.parseReader(reader));
    }
  }

  public static Run parse(String json) {
    return parse(JsonParser.parseString(json));
  }

  private static Run parse(JsonElement root) {
    List<JmhResult> results = new ArrayList<>();
    List<Settings> settings = new ArrayList<>();
    if (root.isJsonNull()) {
      return new Run(results, settings);
    }
    JsonArray rows = root.getAsJsonArray();
    for (JsonElement e : rows) {
      JsonObject row = e.getAsJsonObject();
      JsonObject primary = row.getAsJsonObject("primaryMetric");
      Map<String, String> params = new LinkedHashMap<>();
      if (row.has("params")) {
        for (Map.Entry<String, JsonElement> p : row.getAsJsonObject("params").entrySet()) {
          params.put(p.getKey(), p.getValue().getAsString());
        }
      }
      double alloc = Double.NaN;
      if (row.has("secondaryMetrics")) {
        JsonObject secondary = row.getAsJsonObject("secondaryMetrics");
        if (secondary.has("gc.alloc.rate.norm")) {
          alloc = number(secondary.getAsJsonObject("gc.alloc.rate.norm").get("score"));
        }
      }
      List<Double> forkScores = new ArrayList<>();
      if (primary.has("rawData") && primary.get("rawData").isJsonArray()) {
        for (JsonElement fork : primary.getAsJsonArray("rawData")) {
          double sum = 0;
          int n = 0;
          for (JsonElement iteration : fork.getAsJsonArray()) {
            double v = number(iteration);
            if (!Double.isNaN(v)) {
              sum += v;
              n++;
            }
          }
          if (n > 0) {
            forkScores.add(sum / n);
          }
        }
      }
      results.add(
          new JmhResult(
              row.get("benchmark").getAsString(),
              row.get("mode").getAsString(),
              row.has("threads") ? row.get("threads").getAsInt() : 1,
              params,
              number(primary.get("score")),
              number(primary.get("scoreError")),
              primary.get("scoreUnit").getAsString(),
              alloc,
              forkScores));
      settings.add(
          new Settings(
              text(row, "jmhVersion"),
              text(row, "jdkVersion"),
              text(row, "vmName"),
              text(row, "vmVersion"),
              integer(row, "forks"),
              integer(row, "warmupIterations"),
              text(row, "warmupTime"),
              integer(row, "measurementIterations"),
              text(row, "measurementTime")));
    }
    return new Run(results, settings);
  }

  /** JMH writes {@code "NaN"} as a string when it has no value. */
  private static double number(JsonElement e) {
    if (e == null || e.isJsonNull()) {
      return Double.NaN;
    }
    if (e.getAsJsonPrimitive().isString()) {
      try {
        return Double.parseDouble(e.getAsString());
      } catch (NumberFormatException ex) {
        return Double.NaN;
      }
    }
    return e.getAsDouble();
  }

  private static String text(JsonObject row, String key) {
    return row.has(key) && !row.get(key).isJsonNull() ? row.get(key).getAsString() : "?";
  }

  private static int integer(JsonObject row, String key) {
    return row.has(key) && !row.get(key).isJsonNull() ? row.get(key).getAsInt() : 0;
  }
}
