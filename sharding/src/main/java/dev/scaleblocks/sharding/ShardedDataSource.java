package dev.scaleblocks.sharding;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.internal.Checks;
import io.micrometer.core.instrument.Timer;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes JDBC work by shard key to each shard's own (pooled) {@link DataSource}, and fans work out
 * to every shard, or to the shards owning a set of keys, in parallel.
 *
 * {@snippet :
 * ShardedDataSource db = ShardedDataSource.builder()
 *     .router(ShardRouter.<DataSource>rendezvous()
 *         .shard("db-a", hikariA).shard("db-b", hikariB).build())
 *     .build();
 * try (Connection c = db.getConnection("customer-42")) {
 *   // ... the row for customer-42 lives here
 * }
 * Map<String, Long> counts = db.fanOut(shard -> {
 *   try (Connection c = shard.handle().getConnection();
 *       ResultSet rs = c.createStatement().executeQuery("select count(*) from orders")) {
 *     rs.next();
 *     return rs.getLong(1);
 *   }
 * });
 * }
 *
 * <p>It is not itself a {@code javax.sql.DataSource}: a connection without a shard key has no
 * meaning. Topology changes go through {@link #routers()} and are atomic for concurrent callers.
 *
 * <p>Fan-out runs on a bounded executor (a fixed number of daemon threads and a bounded queue;
 * saturation fails the fan-out rather than queueing without limit), waits at most the fan-out
 * timeout, returns results keyed by shard name in shard order, and on the first failure cancels the
 * other shards' work (interrupting it) and throws {@link FanOutException}.
 *
 * <p>Thread-safe. Routing costs one router lookup; the pooled DataSources are the caller's and are
 * not closed by {@link #close()}, which only stops the fan-out threads this object created.
 *
 * <p>Metrics: {@code scaleblocks.sharding.fanout} timer tagged {@code result} =
 * {@code success|failure|timeout}.
 */
public final class ShardedDataSource implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ShardedDataSource.class);

  /** Callback run on one shard. */
  @FunctionalInterface
  public interface ShardCallback<T> {
    /** Does the work on {@code shard}; may throw, which fails the fan-out. */
    T apply(Shard<DataSource> shard) throws Exception;
  }

  /** Callback run on one shard with the keys that shard owns. */
  @FunctionalInterface
  public interface KeyedShardCallback<K, T> {
    /** Does the work for {@code keys}, all owned by {@code shard}. */
    T apply(Shard<DataSource> shard, List<K> keys) throws Exception;
  }

  private final ShardRouterHolder<DataSource> routers;
  private final ExecutorService executor;
  private final boolean ownsExecutor;
  private final Duration timeout;
  private final Timer success;
  private final Timer failure;
  private final Timer timedOut;

  private ShardedDataSource(Builder b) {
    this.routers = Checks.requireNonNull(b.routers, "router");
    this.timeout = b.timeout != null ? b.timeout : DEFAULT_FAN_OUT_TIMEOUT;
    if (b.executor != null) {
      this.executor = b.executor;
      this.ownsExecutor = false;
    } else {
      int threads = b.parallelism != 0 ? b.parallelism : defaultParallelism();
      AtomicInteger seq = new AtomicInteger();
      ThreadPoolExecutor pool =
          new ThreadPoolExecutor(
              threads,
              threads,
              30,
              TimeUnit.SECONDS,
              new ArrayBlockingQueue<>(b.queueCapacity != 0 ? b.queueCapacity : DEFAULT_QUEUE_CAPACITY),
              r -> {
                Thread t = new Thread(r, "scaleblocks-sharding-fanout-" + seq.incrementAndGet());
                t.setDaemon(true);
                return t;
              });
      pool.allowCoreThreadTimeOut(true);
      this.executor = pool;
      this.ownsExecutor = true;
    }
    var registry = (b.telemetry != null ? b.telemetry : Telemetry.none()).meterRegistry();
    this.success = Timer.builder("scaleblocks.sharding.fanout").tag("result", "success").register(registry);
    this.failure = Timer.builder("scaleblocks.sharding.fanout").tag("result", "failure").register(registry);
    this.timedOut = Timer.builder("scaleblocks.sharding.fanout").tag("result", "timeout").register(registry);
  }

  private static final Duration DEFAULT_FAN_OUT_TIMEOUT = Duration.ofSeconds(30);
  private static final int DEFAULT_QUEUE_CAPACITY = 1024;

  private static int defaultParallelism() {
    return Math.max(2, Math.min(16, 2 * Runtime.getRuntime().availableProcessors()));
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** The router holder; swap topologies through it. */
  public ShardRouterHolder<DataSource> routers() {
    return routers;
  }

  /** The DataSource of the shard owning {@code key}. */
  public DataSource dataSource(String key) {
    return routers.route(key);
  }

  /** The DataSource of the shard owning numeric {@code key}. */
  public DataSource dataSource(long key) {
    return routers.route(key);
  }

  /** A connection to the shard owning {@code key}. */
  public Connection getConnection(String key) throws SQLException {
    return routers.route(key).getConnection();
  }

  /** A connection to the shard owning numeric {@code key}. */
  public Connection getConnection(long key) throws SQLException {
    return routers.route(key).getConnection();
  }

  /**
   * Runs {@code callback} on every shard in parallel; results by shard name, in shard order.
   *
   * @throws FanOutException on the first failing shard, a timeout or interruption
   */
  public <T> Map<String, T> fanOut(ShardCallback<T> callback) {
    Checks.requireNonNull(callback, "callback");
    List<Shard<DataSource>> shards = routers.current().shards();
    List<Task<T>> tasks = new ArrayList<>(shards.size());
    for (Shard<DataSource> shard : shards) {
      tasks.add(new Task<>(shard, () -> callback.apply(shard)));
    }
    return run(tasks);
  }

  /**
   * Groups {@code keys} by owning shard (one router snapshot for all of them) and runs {@code
   * callback} once per shard that owns any, in parallel.
   *
   * @throws FanOutException on the first failing shard, a timeout or interruption
   */
  public <T> Map<String, T> fanOut(Collection<String> keys, KeyedShardCallback<String, T> callback) {
    Checks.requireNoNulls(keys, "keys");
    Checks.requireNonNull(callback, "callback");
    ShardRouter<DataSource> router = routers.current();
    Map<String, List<String>> byShard = new HashMap<>();
    for (String key : keys) {
      byShard.computeIfAbsent(router.shardFor(key).name(), shard -> new ArrayList<>()).add(key);
    }
    List<Task<T>> tasks = new ArrayList<>();
    for (Shard<DataSource> shard : router.shards()) {
      List<String> owned = byShard.get(shard.name());
      if (owned != null) {
        List<String> frozen = List.copyOf(owned);
        tasks.add(new Task<>(shard, () -> callback.apply(shard, frozen)));
      }
    }
    return run(tasks);
  }

  private record Task<T>(Shard<DataSource> shard, java.util.concurrent.Callable<T> work) {}

  // Futures are keys by identity (FutureTask does not override equals), which is what is meant;
  // the linked map names the shards still running in task order.
  @SuppressWarnings("CollectionUndefinedEquality")
  private <T> Map<String, T> run(List<Task<T>> tasks) {
    long start = System.nanoTime();
    ExecutorCompletionService<T> completion = new ExecutorCompletionService<>(executor);
    Map<Future<T>, String> names = new LinkedHashMap<>();
    Map<String, T> results = new LinkedHashMap<>();
    for (Task<T> task : tasks) {
      results.put(task.shard().name(), null);
    }
    try {
      for (Task<T> task : tasks) {
        try {
          names.put(completion.submit(task.work()), task.shard().name());
        } catch (RejectedExecutionException e) {
          throw new FanOutException(
              "fan-out executor is saturated; shard '" + task.shard().name() + "' was rejected",
              task.shard().name(),
              e);
        }
      }
      long deadline = start + timeout.toNanos();
      for (int done = 0; done < tasks.size(); done++) {
        Future<T> f = completion.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        if (f == null) {
          List<String> pending = new ArrayList<>();
          for (Map.Entry<Future<T>, String> e : names.entrySet()) {
            if (!e.getKey().isDone()) {
              pending.add(e.getValue());
            }
          }
          timedOut.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
          throw new FanOutException(
              "fan-out timed out after " + timeout + "; shards still running: " + pending, null, null);
        }
        String shard = names.get(f);
        try {
          results.put(shard, f.get());
        } catch (ExecutionException e) {
          failure.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
          Throwable cause = e.getCause() == null ? e : e.getCause();
          throw new FanOutException(
              "fan-out failed on shard '" + shard + "': " + cause, shard, cause);
        } catch (CancellationException e) {
          throw new FanOutException("fan-out cancelled on shard '" + shard + "'", shard, e);
        }
      }
      success.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      return java.util.Collections.unmodifiableMap(results);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FanOutException("fan-out interrupted", null, e);
    } finally {
      for (Future<T> f : names.keySet()) {
        if (!f.isDone()) {
          f.cancel(true);
        }
      }
    }
  }

  /** Stops the fan-out threads this object created (not a caller-supplied executor). */
  @Override
  public void close() {
    if (ownsExecutor) {
      executor.shutdownNow();
      LOG.debug("sharded DataSource closed");
    }
  }

  /** Builds a {@link ShardedDataSource}. Not thread-safe. */
  public static final class Builder {
    private @Nullable ShardRouterHolder<DataSource> routers;
    private @Nullable ExecutorService executor;
    private int parallelism; // 0: not set
    private int queueCapacity; // 0: not set
    private @Nullable Duration timeout;
    private @Nullable Telemetry telemetry;

    private Builder() {}

    /** The router (required, or {@link #routers(ShardRouterHolder)}). */
    public Builder router(ShardRouter<DataSource> router) {
      Checks.requireUnset(routers != null, "router");
      Checks.requireNonNull(router, "router");
      this.routers = ShardRouterHolder.of(router);
      return this;
    }

    /** A holder shared with other code that swaps topologies. */
    public Builder routers(ShardRouterHolder<DataSource> holder) {
      Checks.requireUnset(routers != null, "router");
      Checks.requireNonNull(holder, "holder");
      this.routers = holder;
      return this;
    }

    /** Fan-out threads when no executor is given, 1 to 1024 (default 2 × cores, between 2 and 16). */
    public Builder parallelism(int threads) {
      Checks.requireUnset(parallelism != 0, "parallelism", parallelism);
      this.parallelism = (int) Checks.requireInRange(threads, 1, 1024, "parallelism");
      return this;
    }

    /**
     * Queued fan-out tasks beyond the running ones before fan-outs fail fast, 1 to 1 048 576 (the
     * queue is allocated up front; default 1024).
     */
    public Builder queueCapacity(int capacity) {
      Checks.requireUnset(queueCapacity != 0, "queueCapacity", queueCapacity);
      this.queueCapacity = (int) Checks.requireInRange(capacity, 1, 1 << 20, "queueCapacity");
      return this;
    }

    /** Run fan-outs on this executor instead (not shut down by {@link #close()}). */
    public Builder executor(ExecutorService executor) {
      Checks.requireUnset(this.executor != null, "executor");
      this.executor = Checks.requireNonNull(executor, "executor");
      return this;
    }

    /** Longest a fan-out waits for all shards (default 30 s). */
    public Builder fanOutTimeout(Duration timeout) {
      Checks.requireUnset(this.timeout != null, "fanOutTimeout", this.timeout);
      this.timeout = Checks.requirePositive(timeout, "fanOutTimeout");
      return this;
    }

    /** Where metrics go (default none). */
    public Builder telemetry(Telemetry telemetry) {
      Checks.requireUnset(this.telemetry != null, "telemetry");
      this.telemetry = Checks.requireNonNull(telemetry, "telemetry");
      return this;
    }

    /** The sharded DataSource. */
    public ShardedDataSource build() {
      Checks.requireState(routers != null, "router is required: call router(ShardRouter)");
      return new ShardedDataSource(this);
    }
  }
}
