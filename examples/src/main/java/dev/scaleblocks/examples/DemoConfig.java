package dev.scaleblocks.examples;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * How the demo runs. Every setting comes from a flag ({@code --jetty-port=8080}), else from the
 * environment ({@code JETTY_PORT}), else from the default: with nothing configured the demo runs on
 * any machine with a JDK (in-memory H2 shards, L1-only cache, local rate limiter).
 *
 * @param host address both servers bind to
 * @param jettyPort Jetty port, 0 for a free one
 * @param nettyPort Netty port, 0 for a free one
 * @param shards number of in-memory shards when no database URLs are given
 * @param products products seeded into an empty catalog
 * @param limit requests allowed per client IP per {@code limitWindowSeconds}
 * @param limitWindowSeconds the rate-limit window
 * @param redisUrl Redis ({@code redis://host:port}) for the L2 cache, cross-instance invalidation
 *     and the global limit; null for L1-only and a local limit
 * @param databaseUrls one JDBC URL per shard (primaries); empty for in-memory H2 shards
 * @param replicaUrls one JDBC URL per shard (replicas), same order; empty to read from primaries
 * @param databaseUser user for the database URLs
 * @param databasePassword password for the database URLs, null for none (trust)
 * @param instance name of this instance in logs, metrics and cache invalidations
 * @param namespace prefix of the Redis keys and channel; instances with the same one share the
 *     cache and the limit
 */
public record DemoConfig(
    String host,
    int jettyPort,
    int nettyPort,
    int shards,
    int products,
    int limit,
    int limitWindowSeconds,
    @Nullable String redisUrl,
    List<String> databaseUrls,
    List<String> replicaUrls,
    String databaseUser,
    @Nullable String databasePassword,
    String instance,
    String namespace) {

  public DemoConfig {
    databaseUrls = List.copyOf(databaseUrls);
    replicaUrls = List.copyOf(replicaUrls);
    if (!replicaUrls.isEmpty() && replicaUrls.size() != databaseUrls.size()) {
      throw new IllegalArgumentException(
          "replica URLs must be one per shard: " + databaseUrls.size() + " primaries but "
              + replicaUrls.size() + " replicas");
    }
    if (shards < 1) {
      throw new IllegalArgumentException("shards must be positive but was " + shards);
    }
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be positive but was " + limit);
    }
  }

  /** The embedded defaults: ports 8080 and 8081, 4 H2 shards, 1000 products, 100 requests per 10 s. */
  public static DemoConfig defaults() {
    return new DemoConfig(
        "127.0.0.1", 8080, 8081, 4, 1000, 100, 10, null, List.of(), List.of(), "postgres", null,
        "demo-" + UUID.randomUUID().toString().substring(0, 8), "demo");
  }

  /** Number of shards actually used. */
  public int shardCount() {
    return databaseUrls.isEmpty() ? shards : databaseUrls.size();
  }

  public DemoConfig withPorts(int jetty, int netty) {
    return new DemoConfig(host, jetty, netty, shards, products, limit, limitWindowSeconds, redisUrl,
        databaseUrls, replicaUrls, databaseUser, databasePassword, instance, namespace);
  }

  public DemoConfig withProducts(int count) {
    return new DemoConfig(host, jettyPort, nettyPort, shards, count, limit, limitWindowSeconds,
        redisUrl, databaseUrls, replicaUrls, databaseUser, databasePassword, instance, namespace);
  }

  public DemoConfig withLimit(int requests, int windowSeconds) {
    return new DemoConfig(host, jettyPort, nettyPort, shards, products, requests, windowSeconds,
        redisUrl, databaseUrls, replicaUrls, databaseUser, databasePassword, instance, namespace);
  }

  public DemoConfig withRedis(@Nullable String url) {
    return new DemoConfig(host, jettyPort, nettyPort, shards, products, limit, limitWindowSeconds,
        url, databaseUrls, replicaUrls, databaseUser, databasePassword, instance, namespace);
  }

  public DemoConfig withDatabases(List<String> primaries, List<String> replicas, String user) {
    return new DemoConfig(host, jettyPort, nettyPort, shards, products, limit, limitWindowSeconds,
        redisUrl, primaries, replicas, user, databasePassword, instance, namespace);
  }

  public DemoConfig withNamespace(String ns) {
    return new DemoConfig(host, jettyPort, nettyPort, shards, products, limit, limitWindowSeconds,
        redisUrl, databaseUrls, replicaUrls, databaseUser, databasePassword, instance, ns);
  }

  public DemoConfig withInstance(String name) {
    return new DemoConfig(host, jettyPort, nettyPort, shards, products, limit, limitWindowSeconds,
        redisUrl, databaseUrls, replicaUrls, databaseUser, databasePassword, name, namespace);
  }

  /** Reads flags, then the environment, then the defaults. */
  public static DemoConfig from(String[] args, Map<String, String> env) {
    Map<String, String> flags = new java.util.HashMap<>();
    for (String arg : args) {
      if (!arg.startsWith("--") || !arg.contains("=")) {
        throw new IllegalArgumentException("arguments must look like --name=value but was " + arg);
      }
      int eq = arg.indexOf('=');
      flags.put(arg.substring(2, eq), arg.substring(eq + 1));
    }
    Settings s = new Settings(flags, env);
    DemoConfig d = defaults();
    DemoConfig config =
        new DemoConfig(
            s.get("host", d.host()),
            s.integer("jetty-port", d.jettyPort()),
            s.integer("netty-port", d.nettyPort()),
            s.integer("shards", d.shards()),
            s.integer("products", d.products()),
            s.integer("limit", d.limit()),
            s.integer("limit-window-seconds", d.limitWindowSeconds()),
            s.optional("redis-url"),
            list(s.optional("database-urls") != null ? s.optional("database-urls") : s.optional("database-url")),
            list(s.optional("database-replica-urls")),
            s.get("database-user", d.databaseUser()),
            s.optional("database-password"),
            s.get("instance", d.instance()),
            s.get("namespace", d.namespace()));
    flags.keySet().removeAll(Settings.KNOWN);
    if (!flags.isEmpty()) {
      throw new IllegalArgumentException("unknown options " + flags.keySet() + "; see --help=true");
    }
    return config;
  }

  static String usage() {
    return String.join(
        "\n",
        "usage: java -jar examples/target/demo.jar [--name=value ...]   (or the environment variable NAME_IN_CAPS)",
        "  --host=127.0.0.1                address both servers bind to (HOST)",
        "  --jetty-port=8080               Jetty (servlet) port, 0 = any free (JETTY_PORT)",
        "  --netty-port=8081               Netty port, 0 = any free (NETTY_PORT)",
        "  --shards=4                      in-memory H2 shards when no database URLs are given (SHARDS)",
        "  --products=1000                 products seeded into an empty catalog (PRODUCTS)",
        "  --limit=100                     requests per client IP per window (LIMIT)",
        "  --limit-window-seconds=10       the rate-limit window (LIMIT_WINDOW_SECONDS)",
        "  --redis-url=redis://host:6379   Redis: L2 cache, L1 invalidation, global limit (REDIS_URL)",
        "  --database-urls=U1,U2           one JDBC URL per shard, primaries (DATABASE_URLS or DATABASE_URL)",
        "  --database-replica-urls=R1,R2   one JDBC URL per shard, replicas (DATABASE_REPLICA_URLS)",
        "  --database-user=postgres        (DATABASE_USER)   --database-password=... (DATABASE_PASSWORD)",
        "  --instance=demo-1               instance name in logs and metrics (INSTANCE)",
        "  --namespace=demo                Redis key prefix; instances sharing it share cache and limit (NAMESPACE)");
  }

  private static List<String> list(@Nullable String csv) {
    List<String> out = new ArrayList<>();
    if (csv != null) {
      for (String part : csv.split(",")) {
        if (!part.isBlank()) {
          out.add(jdbc(part.trim()));
        }
      }
    }
    return out;
  }

  /** Accepts {@code postgres://host:port/db} as well as JDBC URLs. */
  private static String jdbc(String url) {
    if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
      return "jdbc:postgresql://" + url.substring(url.indexOf("://") + 3);
    }
    return url;
  }

  private static final class Settings {
    static final List<String> KNOWN =
        List.of("host", "jetty-port", "netty-port", "shards", "products", "limit",
            "limit-window-seconds", "redis-url", "database-urls", "database-url",
            "database-replica-urls", "database-user", "database-password", "instance", "namespace", "help");

    private final Map<String, String> flags;
    private final Map<String, String> env;

    Settings(Map<String, String> flags, Map<String, String> env) {
      this.flags = flags;
      this.env = env;
    }

    @Nullable String optional(String name) {
      String v = flags.get(name);
      if (v == null) {
        v = env.get(name.toUpperCase(Locale.ROOT).replace('-', '_'));
      }
      return v == null || v.isBlank() ? null : v.trim();
    }

    String get(String name, String fallback) {
      String v = optional(name);
      return v == null ? fallback : v;
    }

    int integer(String name, int fallback) {
      String v = optional(name);
      if (v == null) {
        return fallback;
      }
      try {
        return Integer.parseInt(v);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(name + " must be an integer but was " + v, e);
      }
    }
  }
}
