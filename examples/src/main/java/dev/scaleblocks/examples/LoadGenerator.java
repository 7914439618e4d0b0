package dev.scaleblocks.examples;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small load generator for the demo (JDK {@link HttpClient}, no other tool needed): {@code
 * concurrency} threads request random products from the targets (round-robin) for {@code
 * duration}, then it prints throughput, p50/p99 latency, the share of 429s and, from the targets'
 * {@code /metrics}, the cache hit ratio over the run.
 *
 * <pre>
 * java -cp examples/target/demo.jar dev.scaleblocks.examples.LoadGenerator \
 *     --targets=http://127.0.0.1:8080,http://127.0.0.1:8081 --seconds=10 --concurrency=8 --ids=200
 * </pre>
 *
 * With {@code --invalidation=true} it first changes a price through the first target and checks
 * that every other target serves the new price (L1 invalidated across instances).
 */
public final class LoadGenerator {

  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*\\})?\\s+(\\S+)");

  private LoadGenerator() {}

  /** What one run measured. */
  public record Result(
      long requests,
      long ok,
      long notModified,
      long limited,
      long errors,
      double seconds,
      double p50Millis,
      double p99Millis,
      Map<String, Long> okByTarget,
      double cacheHitRatio) {

    /** Requests per second over the run. */
    public double throughput() {
      return requests / seconds;
    }

    /** Share of responses that were 429. */
    public double limitedShare() {
      return requests == 0 ? 0 : (double) limited / requests;
    }

    String text() {
      StringBuilder sb = new StringBuilder();
      sb.append(String.format(Locale.ROOT, "requests      %d in %.1f s = %.0f req/s%n", requests, seconds, throughput()));
      sb.append(String.format(Locale.ROOT, "latency       p50 %.2f ms, p99 %.2f ms%n", p50Millis, p99Millis));
      sb.append(String.format(Locale.ROOT, "responses     200: %d, 304: %d, 429: %d (%.1f%%), errors: %d%n",
          ok, notModified, limited, 100 * limitedShare(), errors));
      okByTarget.forEach((t, n) -> sb.append(String.format(Locale.ROOT, "  admitted by %s: %d%n", t, n)));
      sb.append(Double.isNaN(cacheHitRatio)
          ? "cache         no cache metrics found at /metrics\n"
          : String.format(Locale.ROOT, "cache         hit ratio %.1f%% (L1 or L2; the rest went to the database)%n",
              100 * cacheHitRatio));
      return sb.toString();
    }
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new LinkedHashMap<>();
    opts.put("targets", "http://127.0.0.1:8080,http://127.0.0.1:8081");
    opts.put("seconds", "10");
    opts.put("concurrency", "8");
    opts.put("ids", "200");
    opts.put("revalidate", "0.5");
    opts.put("invalidation", "false");
    opts.put("wait-seconds", "0");
    for (String arg : args) {
      int eq = arg.indexOf('=');
      if (!arg.startsWith("--") || eq < 0 || !opts.containsKey(arg.substring(2, eq))) {
        System.err.println("usage: LoadGenerator " + opts.keySet().stream().map(k -> "--" + k + "=" + opts.get(k)).toList());
        System.exit(2);
      }
      opts.put(arg.substring(2, eq), arg.substring(eq + 1));
    }
    List<String> targets = Arrays.asList(opts.get("targets").split(","));
    awaitHealthy(targets, Duration.ofSeconds(Long.parseLong(opts.get("wait-seconds"))));
    if (Boolean.parseBoolean(opts.get("invalidation"))) {
      System.out.println(checkInvalidation(targets, 1 + ThreadLocalRandom.current().nextInt(Integer.parseInt(opts.get("ids")))));
    }
    Result r =
        run(targets, Duration.ofSeconds(Long.parseLong(opts.get("seconds"))),
            Integer.parseInt(opts.get("concurrency")), Integer.parseInt(opts.get("ids")),
            Double.parseDouble(opts.get("revalidate")));
    System.out.print(r.text());
  }

  /** Waits until every target answers {@code /health} with 200, or fails after {@code max}. */
  static void awaitHealthy(List<String> targets, Duration max) throws InterruptedException {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + max.toNanos();
    for (String t : targets) {
      while (true) {
        try {
          if (get(http, t + "/health", null).statusCode() == 200) {
            break;
          }
        } catch (IOException e) {
          // not up yet
        }
        if (System.nanoTime() > deadline) {
          if (max.isZero()) {
            break;
          }
          throw new IllegalStateException(t + " not healthy after " + max.toSeconds() + " s");
        }
        Thread.sleep(200);
      }
    }
  }

  /**
   * Changes the price of {@code id} through the first target, then reads it from every target;
   * returns a line per target saying whether it served the new price.
   */
  public static String checkInvalidation(List<String> targets, long id) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newHttpClient();
    for (String t : targets) {
      get(http, t + "/products/" + id, null); // warm every L1 with the old value
    }
    long cents = 100 + ThreadLocalRandom.current().nextInt(100_000);
    HttpResponse<String> post =
        http.send(HttpRequest.newBuilder(URI.create(targets.get(0) + "/products/" + id + "/price?cents=" + cents))
            .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    StringBuilder sb = new StringBuilder(
        String.format(Locale.ROOT, "invalidation  product %d set to %d cents through %s (%d)%n", id, cents, targets.get(0), post.statusCode()));
    for (String t : targets) {
      String expected = "\"priceCents\":" + cents + ",";
      long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
      boolean seen = false;
      long start = System.nanoTime();
      while (!seen && System.nanoTime() < deadline) {
        HttpResponse<String> r = get(http, t + "/products/" + id, null);
        seen = r.statusCode() == 200 && r.body().contains(expected);
        if (!seen) {
          Thread.sleep(5);
        }
      }
      sb.append(String.format(Locale.ROOT, "  %s: %s%n", t, seen
          ? String.format(Locale.ROOT, "serves the new price after %.1f ms", (System.nanoTime() - start) / 1e6)
          : "STILL SERVES THE OLD PRICE after 2 s"));
    }
    return sb.toString();
  }

  /** Runs the load and returns what it measured. */
  public static Result run(List<String> targets, Duration duration, int concurrency, int ids, double revalidateShare)
      throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    Map<String, Double> hitsBefore = cacheCounts(http, targets);
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    long start = System.nanoTime();
    long deadline = start + duration.toNanos();
    List<Future<long[]>> futures = new ArrayList<>();
    List<long[]> latencies = new ArrayList<>();
    List<Map<String, Long>> admitted = new ArrayList<>();
    for (int w = 0; w < concurrency; w++) {
      long[] lat = new long[1 << 20];
      latencies.add(lat);
      Map<String, Long> perTarget = new LinkedHashMap<>();
      admitted.add(perTarget);
      int worker = w;
      futures.add(pool.submit(() -> worker(http, targets, worker, deadline, ids, revalidateShare, lat, perTarget)));
    }
    long[] totals = new long[6];
    for (Future<long[]> f : futures) {
      long[] c = f.get();
      for (int i = 0; i < totals.length; i++) {
        totals[i] += c[i];
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    pool.shutdown();
    long[] all = new long[(int) totals[5]];
    int n = 0;
    for (int w = 0; w < concurrency; w++) {
      long count = futures.get(w).get()[5];
      System.arraycopy(latencies.get(w), 0, all, n, (int) count);
      n += (int) count;
    }
    Arrays.sort(all);
    Map<String, Long> okByTarget = new LinkedHashMap<>();
    for (Map<String, Long> m : admitted) {
      m.forEach((k, v) -> okByTarget.merge(k, v, Long::sum));
    }
    Map<String, Double> hitsAfter = cacheCounts(http, targets);
    double ratio = hitRatio(hitsBefore, hitsAfter);
    return new Result(totals[0], totals[1], totals[2], totals[3], totals[4], seconds,
        percentile(all, 0.50), percentile(all, 0.99), okByTarget, ratio);
  }

  private static long[] worker(HttpClient http, List<String> targets, int worker, long deadline, int ids,
      double revalidateShare, long[] latencies, Map<String, Long> admitted) {
    long[] c = new long[6];
    Map<Long, String> etags = new java.util.HashMap<>();
    ThreadLocalRandom random = ThreadLocalRandom.current();
    int i = worker;
    while (System.nanoTime() < deadline) {
      String target = targets.get(i++ % targets.size());
      long id = 1 + random.nextInt(ids);
      String etag = random.nextDouble() < revalidateShare ? etags.get(id) : null;
      long t0 = System.nanoTime();
      try {
        HttpResponse<String> r = get(http, target + "/products/" + id, etag);
        long nanos = System.nanoTime() - t0;
        if (c[5] < latencies.length) {
          latencies[(int) c[5]++] = nanos;
        }
        c[0]++;
        switch (r.statusCode()) {
          case 200:
            c[1]++;
            r.headers().firstValue("ETag").ifPresent(e -> etags.put(id, e));
            admitted.merge(target, 1L, Long::sum);
            break;
          case 304:
            c[2]++;
            admitted.merge(target, 1L, Long::sum);
            break;
          case 429:
            c[3]++;
            break;
          default:
            c[4]++;
        }
      } catch (IOException e) {
        c[0]++;
        c[4]++;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return c;
  }

  private static HttpResponse<String> get(HttpClient http, String url, String etag) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
    if (etag != null) {
      b.header("If-None-Match", etag);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Sums the cache's request counters by {@code result} over every distinct instance behind the
   * targets (two servers of one instance share one registry, so an instance is counted once).
   */
  static Map<String, Double> cacheCounts(HttpClient http, List<String> targets) {
    Map<String, Double> byResult = new LinkedHashMap<>();
    java.util.Set<String> instances = new java.util.HashSet<>();
    for (String t : targets) {
      try {
        HttpResponse<String> r = get(http, t + "/metrics", null);
        if (r.statusCode() != 200) {
          continue;
        }
        Map<String, Double> counts = parseCacheCounts(r.body());
        String instance = instanceOf(r.body());
        if (instances.add(instance == null ? t : instance)) {
          counts.forEach((k, v) -> byResult.merge(k, v, Double::sum));
        }
      } catch (IOException e) {
        // a target without /metrics: no ratio from it
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return byResult;
      }
    }
    return byResult;
  }

  /** Sums {@link #CACHE_METRIC} samples by {@code tier:result} ({@code l1:hit}, {@code l2:miss}, ...). */
  static Map<String, Double> parseCacheCounts(String prometheusText) {
    Map<String, Double> out = new LinkedHashMap<>();
    Pattern tier = Pattern.compile("tier=\"([^\"]*)\"");
    Pattern result = Pattern.compile("result=\"([^\"]*)\"");
    for (String line : prometheusText.split("\n")) {
      Matcher m = SAMPLE.matcher(line);
      if (!m.find() || !m.group(1).equals(CACHE_METRIC) || m.group(2) == null) {
        continue;
      }
      Matcher t = tier.matcher(m.group(2));
      Matcher r = result.matcher(m.group(2));
      if (t.find() && r.find()) {
        out.merge(t.group(1) + ":" + r.group(1), Double.parseDouble(m.group(3)), Double::sum);
      }
    }
    return out;
  }

  /** Share of lookups answered by L1 or L2 (not the database) between two samples of the counters. */
  static double hitRatio(Map<String, Double> before, Map<String, Double> after) {
    double l1Hits = delta(before, after, "l1:hit");
    double l1Misses = delta(before, after, "l1:miss");
    double l2Hits = delta(before, after, "l2:hit");
    double lookups = l1Hits + l1Misses;
    return after.isEmpty() || lookups <= 0 ? Double.NaN : (l1Hits + l2Hits) / lookups;
  }

  private static double delta(Map<String, Double> before, Map<String, Double> after, String key) {
    return after.getOrDefault(key, 0.0) - before.getOrDefault(key, 0.0);
  }

  private static String instanceOf(String prometheusText) {
    Matcher m = Pattern.compile("instance=\"([^\"]*)\"").matcher(prometheusText);
    return m.find() ? m.group(1) : null;
  }

  /** The cache's request counter in Prometheus naming. */
  static final String CACHE_METRIC = "scaleblocks_cache_gets_total";

  private static double percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int idx = (int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
    return sorted[Math.max(0, idx)] / 1e6;
  }
}
