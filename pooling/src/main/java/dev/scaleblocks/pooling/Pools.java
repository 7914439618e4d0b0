package dev.scaleblocks.pooling;

import static dev.scaleblocks.core.internal.Checks.requireArgument;
import static dev.scaleblocks.core.internal.Checks.requireNonEmpty;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;
import static dev.scaleblocks.core.internal.Checks.requirePositive;
import static dev.scaleblocks.core.internal.Checks.requireUnset;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariCredentialsProvider;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.metrics.IMetricsTracker;
import com.zaxxer.hikari.metrics.MetricsTrackerFactory;
import com.zaxxer.hikari.metrics.PoolStats;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import com.zaxxer.hikari.util.Credentials;
import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.internal.Checks;
import dev.scaleblocks.core.internal.OwnedMeters;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Builds HikariCP pools with defaults that can be defended in a review, validated at once with
 * errors naming the setting, Micrometer metrics wired with {@code pool}, {@code role} and
 * {@code shard} tags, and an optional scheduler shared by many pools.
 *
 * <pre>{@code
 * ScheduledExecutorService scheduler = Pools.newScheduler("db", 1);
 * HikariDataSource orders = Pools.builder()
 *     .jdbcUrl("jdbc:postgresql://db1:5432/orders")
 *     .credentials("app", secret)
 *     .poolName("orders")
 *     .scheduler(scheduler)
 *     .telemetry(Telemetry.of(meterRegistry))
 *     .build();
 * }</pre>
 *
 * <p>Defaults: {@code maximumPoolSize} from {@link PoolSizing#hikariFormula(int, int)} with this
 * machine's cores and one effective spindle; {@code minimumIdle} equal to it (a fixed-size pool);
 * {@code connectionTimeout} 2 s; {@code idleTimeout} 30 s (only used when minimumIdle is lower);
 * {@code maxLifetime} 25 min; {@code keepaliveTime} 2 min; {@code validationTimeout} 1 s; leak
 * detection off.
 *
 * <p>This class is stateless. A {@link Builder} is not thread-safe; {@link Builder#build()} copies
 * it, so one builder can build several pools. Building a pool costs what HikariCP's start costs
 * (it opens {@code minimumIdle} connections in the background).
 */
public final class Pools {

  static final Duration DEFAULT_CONNECTION_TIMEOUT = Duration.ofSeconds(2);
  static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);
  static final Duration DEFAULT_MAX_LIFETIME = Duration.ofMinutes(25);
  static final Duration DEFAULT_KEEPALIVE = Duration.ofMinutes(2);
  static final Duration DEFAULT_VALIDATION_TIMEOUT = Duration.ofSeconds(1);
  private static final AtomicInteger POOL_IDS = new AtomicInteger();

  private Pools() {}

  /** A new builder with the defaults above. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A scheduled executor for HikariCP's housekeeping and the replica probes of many pools, with
   * {@code threads} daemon threads named {@code name-N}. Cancelled tasks are removed at once. The
   * caller owns it and shuts it down after the pools that use it are closed.
   */
  public static ScheduledExecutorService newScheduler(String name, int threads) {
    requireNonEmpty(name, "name");
    requirePositive(threads, "threads");
    AtomicInteger n = new AtomicInteger();
    ThreadFactory factory =
        r -> {
          Thread t = new Thread(r, name + "-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        };
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(threads, factory);
    executor.setRemoveOnCancelPolicy(true);
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    return executor;
  }

  /**
   * Settings of one HikariCP pool. Each option is checked when set and may be set once (a second
   * call throws {@link IllegalStateException} "maxLifetime was already set to 60s"; {@link
   * #dataSourceProperty} once per name); settings that depend on each other (minimumIdle against
   * maximumPoolSize, keepaliveTime against maxLifetime, ...) are checked by {@link #build()}. Not
   * thread-safe.
   */
  public static final class Builder {
    private @Nullable String jdbcUrl;
    private @Nullable String username;
    private @Nullable String password;
    private @Nullable HikariCredentialsProvider credentialsProvider;
    private @Nullable String poolName;
    private @Nullable String driverClassName;
    private int maximumPoolSize = -1;
    private int minimumIdle = -1;
    private @Nullable Duration connectionTimeout;
    private @Nullable Duration idleTimeout;
    private @Nullable Duration maxLifetime;
    private @Nullable Duration keepaliveTime;
    private @Nullable Duration validationTimeout;
    private @Nullable Duration leakDetectionThreshold;
    private @Nullable Boolean autoCommit;
    private @Nullable Boolean readOnly;
    private @Nullable String shard;
    private @Nullable Telemetry telemetry;
    private @Nullable ScheduledExecutorService scheduler;
    private final Map<String, String> dataSourceProperties = new LinkedHashMap<>();
    private @Nullable Consumer<HikariConfig> customizer;

    private Builder() {}

    /**
     * An independent copy of these settings: what a {@link ReadWriteDataSource.Builder} keeps, so
     * that changing or reusing this builder afterwards does not change the data source's pools.
     */
    Builder copy() {
      Builder c = new Builder();
      c.jdbcUrl = jdbcUrl;
      c.username = username;
      c.password = password;
      c.credentialsProvider = credentialsProvider;
      c.poolName = poolName;
      c.driverClassName = driverClassName;
      c.maximumPoolSize = maximumPoolSize;
      c.minimumIdle = minimumIdle;
      c.connectionTimeout = connectionTimeout;
      c.idleTimeout = idleTimeout;
      c.maxLifetime = maxLifetime;
      c.keepaliveTime = keepaliveTime;
      c.validationTimeout = validationTimeout;
      c.leakDetectionThreshold = leakDetectionThreshold;
      c.autoCommit = autoCommit;
      c.readOnly = readOnly;
      c.shard = shard;
      c.telemetry = telemetry;
      c.scheduler = scheduler;
      c.dataSourceProperties.putAll(dataSourceProperties);
      c.customizer = customizer;
      return c;
    }

    /** The JDBC URL, or null when not set yet. */
    @Nullable String jdbcUrl() {
      return jdbcUrl;
    }

    /** The JDBC URL, e.g. {@code jdbc:postgresql://db1:5432/orders}. Required (or {@link #postgresql}). */
    public Builder jdbcUrl(String jdbcUrl) {
      requireUnset(this.jdbcUrl != null, "jdbcUrl"); // a URL may carry a password
      requireNonEmpty(jdbcUrl, "jdbcUrl");
      requireArgument(jdbcUrl.startsWith("jdbc:"), "jdbcUrl must start with jdbc: but was %s", jdbcUrl);
      this.jdbcUrl = jdbcUrl;
      return this;
    }

    /** Shorthand for {@code jdbcUrl("jdbc:postgresql://host:port/database")}. */
    public Builder postgresql(String host, int port, String database) {
      requireUnset(this.jdbcUrl != null, "jdbcUrl");
      requireNonEmpty(host, "host");
      requireArgument(port > 0 && port < 65536, "port must be in [1, 65535] but was %s", port);
      requireNonEmpty(database, "database");
      return jdbcUrl("jdbc:postgresql://" + host + ":" + port + "/" + database);
    }

    /** The JDBC driver class, only needed when the driver does not register itself. */
    public Builder driverClassName(String driverClassName) {
      requireUnset(this.driverClassName != null, "driverClassName", this.driverClassName);
      this.driverClassName = requireNonEmpty(driverClassName, "driverClassName");
      return this;
    }

    /**
     * Fixed credentials. {@code password} may be null for trust or certificate authentication.
     * Credentials are given once, here or by {@link #credentialsProvider}.
     */
    public Builder credentials(String username, @Nullable String password) {
      requireUnset(this.username != null || credentialsProvider != null, "credentials");
      this.username = requireNonEmpty(username, "username");
      this.password = password;
      return this;
    }

    /**
     * Credentials fetched for every new physical connection (rotating secrets, IAM tokens). Called
     * on HikariCP's connection-adder thread, never on a borrow.
     */
    public Builder credentialsProvider(HikariCredentialsProvider provider) {
      requireUnset(username != null || credentialsProvider != null, "credentials");
      this.credentialsProvider = requireNonNull(provider, "credentialsProvider");
      return this;
    }

    /** The pool's name in logs, metrics and errors. Default {@code scaleblocks-pool-N}. */
    public Builder poolName(String poolName) {
      requireUnset(this.poolName != null, "poolName", this.poolName);
      this.poolName = requireNonEmpty(poolName, "poolName");
      return this;
    }

    /** Maximum connections, idle and in use. Default from {@link PoolSizing#hikariFormula}. */
    public Builder maximumPoolSize(int maximumPoolSize) {
      requireUnset(this.maximumPoolSize > 0, "maximumPoolSize", this.maximumPoolSize);
      this.maximumPoolSize = requirePositive(maximumPoolSize, "maximumPoolSize");
      return this;
    }

    /** Idle connections kept ready. Default equal to maximumPoolSize (a fixed-size pool). */
    public Builder minimumIdle(int minimumIdle) {
      requireUnset(this.minimumIdle >= 0, "minimumIdle", this.minimumIdle);
      requireArgument(minimumIdle >= 0, "minimumIdle must not be negative but was %s", minimumIdle);
      this.minimumIdle = minimumIdle;
      return this;
    }

    /** How long a borrow waits for a connection before failing. At least 250 ms. Default 2 s. */
    public Builder connectionTimeout(Duration connectionTimeout) {
      requireUnsetDuration(this.connectionTimeout, "connectionTimeout");
      this.connectionTimeout = atLeast(connectionTimeout, Duration.ofMillis(250), "connectionTimeout");
      return this;
    }

    /** How long an idle connection above minimumIdle lives. At least 10 s, or zero for never. Default 30 s. */
    public Builder idleTimeout(Duration idleTimeout) {
      requireUnsetDuration(this.idleTimeout, "idleTimeout");
      this.idleTimeout = zeroOrAtLeast(idleTimeout, Duration.ofSeconds(10), "idleTimeout");
      return this;
    }

    /**
     * Longest life of a connection; keep it some seconds shorter than any limit the server, a proxy
     * or a firewall puts on connection age or idleness. At least 30 s. Default 25 min.
     */
    public Builder maxLifetime(Duration maxLifetime) {
      requireUnsetDuration(this.maxLifetime, "maxLifetime");
      this.maxLifetime = atLeast(maxLifetime, Duration.ofSeconds(30), "maxLifetime");
      return this;
    }

    /** How often an idle connection is pinged. At least 30 s, or zero to disable. Default 2 min. */
    public Builder keepaliveTime(Duration keepaliveTime) {
      requireUnsetDuration(this.keepaliveTime, "keepaliveTime");
      this.keepaliveTime = zeroOrAtLeast(keepaliveTime, Duration.ofSeconds(30), "keepaliveTime");
      return this;
    }

    /** Longest wait for a liveness check. At least 250 ms. Default 1 s, or connectionTimeout if shorter. */
    public Builder validationTimeout(Duration validationTimeout) {
      requireUnsetDuration(this.validationTimeout, "validationTimeout");
      this.validationTimeout = atLeast(validationTimeout, Duration.ofMillis(250), "validationTimeout");
      return this;
    }

    /** Logs a warning with the borrower's stack when a connection is held longer. At least 2 s, or zero (default: off). */
    public Builder leakDetectionThreshold(Duration threshold) {
      requireUnsetDuration(this.leakDetectionThreshold, "leakDetectionThreshold");
      this.leakDetectionThreshold = zeroOrAtLeast(threshold, Duration.ofSeconds(2), "leakDetectionThreshold");
      return this;
    }

    /** Default auto-commit state of connections handed out. Default true. */
    public Builder autoCommit(boolean autoCommit) {
      requireUnset(this.autoCommit != null, "autoCommit", this.autoCommit);
      this.autoCommit = autoCommit;
      return this;
    }

    /** Whether connections are read-only by default. Default false. */
    public Builder readOnly(boolean readOnly) {
      requireUnset(this.readOnly != null, "readOnly", this.readOnly);
      this.readOnly = readOnly;
      return this;
    }

    /** The shard this pool serves, as a {@code shard} metric tag. Default none. */
    public Builder shard(String shard) {
      requireUnset(this.shard != null, "shard", this.shard);
      this.shard = requireNonEmpty(shard, "shard");
      return this;
    }

    /** Where metrics go. Default {@link Telemetry#none()}: HikariCP's metrics are not wired. */
    public Builder telemetry(Telemetry telemetry) {
      requireUnset(this.telemetry != null, "telemetry");
      this.telemetry = requireNonNull(telemetry, "telemetry");
      return this;
    }

    /** A scheduler shared by many pools (see {@link Pools#newScheduler}); the caller owns it. */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      requireUnset(this.scheduler != null, "scheduler");
      this.scheduler = requireNonNull(scheduler, "scheduler");
      return this;
    }

    /** A driver property (e.g. {@code ApplicationName}, {@code tcpKeepAlive}), each name once. */
    public Builder dataSourceProperty(String name, String value) {
      requireNonEmpty(name, "name");
      requireUnset(dataSourceProperties.containsKey(name), "dataSourceProperty " + name); // may be a secret
      dataSourceProperties.put(name, requireNonNull(value, "value"));
      return this;
    }

    /** Last say over the {@link HikariConfig}, for settings this builder leaves out on purpose. */
    public Builder customize(Consumer<HikariConfig> customizer) {
      requireUnset(this.customizer != null, "customize");
      this.customizer = requireNonNull(customizer, "customizer");
      return this;
    }

    /**
     * The config for a pool inside a {@link ReadWriteDataSource}: settings given here win, the
     * data source's fill the rest. Does not change this builder.
     */
    HikariConfig toConfig(
        String defaultName,
        String role,
        @Nullable String defaultShard,
        Telemetry defaultTelemetry,
        @Nullable ScheduledExecutorService defaultScheduler) {
      return config(
          poolName != null ? poolName : defaultName,
          role,
          shard != null ? shard : defaultShard,
          telemetry != null ? telemetry : defaultTelemetry,
          scheduler != null ? scheduler : defaultScheduler);
    }

    /**
     * Validates and builds the pool; HikariCP starts at once.
     *
     * @throws IllegalStateException when a pool of the same name is open with meters on the same
     *     meter registry (their meters would be one and the same)
     */
    public HikariDataSource build() {
      return start(toConfig());
    }

    /** Validates and returns the {@link HikariConfig} {@link #build()} would use. */
    public HikariConfig toConfig() {
      String name = poolName;
      if (name == null) {
        name = "scaleblocks-pool-" + POOL_IDS.incrementAndGet();
      }
      return config(name, "primary", shard, telemetry != null ? telemetry : Telemetry.none(), scheduler);
    }

    private HikariConfig config(
        String name,
        String role,
        @Nullable String shard,
        Telemetry telemetry,
        @Nullable ScheduledExecutorService scheduler) {
      if (jdbcUrl == null) {
        throw new IllegalStateException("jdbcUrl must be set (jdbcUrl(...) or postgresql(host, port, database))");
      }
      Duration connectionTimeout = orDefault(this.connectionTimeout, DEFAULT_CONNECTION_TIMEOUT);
      Duration idleTimeout = orDefault(this.idleTimeout, DEFAULT_IDLE_TIMEOUT);
      Duration maxLifetime = orDefault(this.maxLifetime, DEFAULT_MAX_LIFETIME);
      Duration keepaliveTime = orDefault(this.keepaliveTime, DEFAULT_KEEPALIVE);
      Duration leakDetectionThreshold = orDefault(this.leakDetectionThreshold, Duration.ZERO);
      int max = maximumPoolSize > 0 ? maximumPoolSize : defaultPoolSize();
      int minIdle = minimumIdle >= 0 ? minimumIdle : max;
      requireArgument(
          minIdle <= max,
          "minimumIdle must not exceed maximumPoolSize but was %s > %s",
          minIdle,
          max);
      Duration validation = validationTimeout;
      if (validation == null) {
        validation =
            DEFAULT_VALIDATION_TIMEOUT.compareTo(connectionTimeout) <= 0
                ? DEFAULT_VALIDATION_TIMEOUT
                : connectionTimeout;
      }
      requireArgument(
          validation.compareTo(connectionTimeout) <= 0,
          "validationTimeout must not exceed connectionTimeout but was %s > %s",
          validation,
          connectionTimeout);
      requireArgument(
          keepaliveTime.isZero() || keepaliveTime.compareTo(maxLifetime) < 0,
          "keepaliveTime must be shorter than maxLifetime but was %s >= %s",
          keepaliveTime,
          maxLifetime);
      requireArgument(
          idleTimeout.isZero() || idleTimeout.compareTo(maxLifetime) < 0,
          "idleTimeout must be shorter than maxLifetime but was %s >= %s",
          idleTimeout,
          maxLifetime);
      requireArgument(
          leakDetectionThreshold.isZero() || leakDetectionThreshold.compareTo(maxLifetime) < 0,
          "leakDetectionThreshold must be shorter than maxLifetime but was %s >= %s",
          leakDetectionThreshold,
          maxLifetime);

      HikariConfig config = new HikariConfig();
      config.setPoolName(name);
      config.setJdbcUrl(jdbcUrl);
      if (driverClassName != null) {
        config.setDriverClassName(driverClassName);
      }
      if (credentialsProvider != null) {
        config.setCredentialsProvider(credentialsProvider);
      } else if (username != null) {
        config.setCredentials(Credentials.of(username, password));
      }
      config.setMaximumPoolSize(max);
      config.setMinimumIdle(minIdle);
      config.setConnectionTimeout(connectionTimeout.toMillis());
      // a fixed-size pool never retires idle connections; 0 says so (and keeps HikariCP from warning)
      config.setIdleTimeout(minIdle < max ? idleTimeout.toMillis() : 0);
      config.setMaxLifetime(maxLifetime.toMillis());
      config.setKeepaliveTime(keepaliveTime.toMillis());
      config.setValidationTimeout(validation.toMillis());
      config.setLeakDetectionThreshold(leakDetectionThreshold.toMillis());
      config.setAutoCommit(autoCommit == null || autoCommit);
      config.setReadOnly(readOnly != null && readOnly);
      dataSourceProperties.forEach(config::addDataSourceProperty);
      if (scheduler != null) {
        config.setScheduledExecutor(scheduler);
      }
      if (telemetry != Telemetry.none()) {
        config.setMetricsTrackerFactory(
            new ClaimingTrackerFactory(
                new MicrometerMetricsTrackerFactory(taggedRegistry(telemetry, role, shard)),
                telemetry.meterRegistry(), name));
      }
      if (customizer != null) {
        customizer.accept(config);
      }
      return config;
    }

    /** Refuses a duration option set before, naming the value it has ("maxLifetime was already set to 60s"). */
    private static void requireUnsetDuration(@Nullable Duration current, String name) {
      if (current != null) {
        Checks.requireUnset(true, name, pretty(current));
      }
    }

    private static Duration orDefault(@Nullable Duration value, Duration fallback) {
      return value != null ? value : fallback;
    }

    /** A registry that adds role and shard tags to HikariCP's {@code pool}-tagged meters. */
    private static CompositeMeterRegistry taggedRegistry(
        Telemetry telemetry, String role, @Nullable String shard) {
      CompositeMeterRegistry tagged = new CompositeMeterRegistry();
      tagged.config().meterFilter(MeterFilter.commonTags(tags(role, shard)));
      tagged.add(telemetry.meterRegistry());
      return tagged;
    }
  }

  /**
   * Starts a pool from {@code config}, first taking its name on its meter registry (released when
   * the pool closes, or at once when it fails to start).
   */
  static HikariDataSource start(HikariConfig config) {
    @Nullable ClaimingTrackerFactory claiming =
        config.getMetricsTrackerFactory() instanceof ClaimingTrackerFactory
            ? (ClaimingTrackerFactory) config.getMetricsTrackerFactory()
            : null;
    @Nullable OwnedMeters claim = claiming != null ? claiming.claim() : null;
    try {
      return new HikariDataSource(config);
    } catch (RuntimeException | Error e) {
      if (claim != null) {
        claim.close();
      }
      throw e;
    }
  }

  /** HikariCP's Micrometer tracker, giving the pool's name back when the pool closes. */
  private static final class ClaimingTrackerFactory implements MetricsTrackerFactory {
    private final MetricsTrackerFactory delegate;
    private final MeterRegistry registry;
    private final String name;
    private volatile @Nullable OwnedMeters claim;

    ClaimingTrackerFactory(MetricsTrackerFactory delegate, MeterRegistry registry, String name) {
      this.delegate = delegate;
      this.registry = registry;
      this.name = name;
    }

    /** Takes the pool's name on the registry (HikariCP's meters have no other owner). */
    OwnedMeters claim() {
      OwnedMeters c = OwnedMeters.claim(registry, "pool", name);
      claim = c;
      return c;
    }

    @Override
    public IMetricsTracker create(String poolName, PoolStats poolStats) {
      IMetricsTracker tracker = delegate.create(poolName, poolStats);
      return new IMetricsTracker() {
        @Override
        public void recordConnectionCreatedMillis(long millis) {
          tracker.recordConnectionCreatedMillis(millis);
        }

        @Override
        public void recordConnectionAcquiredNanos(long nanos) {
          tracker.recordConnectionAcquiredNanos(nanos);
        }

        @Override
        public void recordConnectionUsageMillis(long millis) {
          tracker.recordConnectionUsageMillis(millis);
        }

        @Override
        public void recordConnectionTimeout() {
          tracker.recordConnectionTimeout();
        }

        @Override
        public void close() {
          try {
            tracker.close();
          } finally {
            OwnedMeters c = claim;
            if (c != null) {
              c.close();
            }
          }
        }
      };
    }
  }

  static Tags tags(String role, @Nullable String shard) {
    return Tags.of("role", role, "shard", shard == null ? "none" : shard);
  }

  static int defaultPoolSize() {
    return PoolSizing.hikariFormula(Runtime.getRuntime().availableProcessors(), 1).size();
  }

  /**
   * The longest duration a pool setting accepts: 24 days, below the 2^31 milliseconds at which
   * JDBC's {@code int} millisecond timeouts overflow. A longer setting cannot be meant.
   */
  static final Duration MAX_SETTING = Duration.ofDays(24);

  private static Duration atLeast(@Nullable Duration value, Duration min, String name) {
    requireNonNull(value, name);
    requireArgument(
        value.compareTo(min) >= 0, "%s must be at least %s but was %s", name, pretty(min), pretty(value));
    return atMostMax(value, name);
  }

  private static Duration zeroOrAtLeast(@Nullable Duration value, Duration min, String name) {
    requireNonNull(value, name);
    requireArgument(
        value.isZero() || value.compareTo(min) >= 0,
        "%s must be zero (off) or at least %s but was %s",
        name,
        pretty(min),
        pretty(value));
    return atMostMax(value, name);
  }

  private static Duration atMostMax(Duration value, String name) {
    requireArgument(
        value.compareTo(MAX_SETTING) <= 0,
        "%s must be at most %s but was %s",
        name,
        pretty(MAX_SETTING),
        pretty(value));
    return value;
  }

  static String pretty(Duration d) {
    if (d.compareTo(MAX_SETTING) > 0 || d.isNegative()) {
      return d.toString(); // toMillis() could overflow
    }
    long ms = d.toMillis();
    if (ms >= 86_400_000 && ms % 86_400_000 == 0) {
      return (ms / 86_400_000) + "d";
    }
    if (ms >= 3_600_000 && ms % 3_600_000 == 0) {
      return (ms / 3_600_000) + "h";
    }
    if (ms % 1000 == 0) {
      return (ms / 1000) + "s";
    }
    return ms + "ms";
  }
}
