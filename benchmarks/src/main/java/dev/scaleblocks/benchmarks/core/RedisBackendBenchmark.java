package dev.scaleblocks.benchmarks.core;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.scaleblocks.core.internal.redis.CoalescingJedisBackend;
import dev.scaleblocks.core.internal.redis.RedisBackend;
import dev.scaleblocks.core.internal.redis.RedisBackends;
import dev.scaleblocks.core.redis.RedisScript;
import io.lettuce.core.RedisURI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * A small script ({@code INCRBY} + {@code PEXPIRE}, one {@code EVALSHA} per call) through the
 * Redis backend contract, blocking form, at 8 and 64 threads: the plain Jedis backend (a pool of
 * 64 connections, one per call in flight), the coalescing Jedis backend (one pipeline per batch of
 * calls in flight, on one pooled connection) and the Lettuce backend (one multiplexed connection),
 * over 1000 keys ({@code spread}) or one ({@code hot}).
 *
 * <p>After each iteration the server's {@code INFO commandstats} delta is printed beside the calls
 * made ({@code [commandstats]} lines: {@code EVALSHA} calls per call, so each call reached Redis
 * once), and for the coalescing backend the pipelines written and their mean and largest size.
 * The shared server may see other clients' commands too.
 *
 * <p>Redis at {@code scaleblocks.redis} (default 127.0.0.1:6379). Run: {@code java -jar
 * benchmarks/target/benchmarks.jar RedisBackendBenchmark}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(3)
public class RedisBackendBenchmark {

  static final RedisScript INCR = RedisScript.of("bench-incr",
      "local n = redis.call('INCRBY', KEYS[1], ARGV[1]) "
          + "redis.call('PEXPIRE', KEYS[1], 60000) return n");
  private static final List<byte[]> ONE = List.of("1".getBytes(UTF_8));

  @Param({"jedis", "coalescing", "lettuce"})
  public String backend;

  @Param({"spread", "hot"})
  public String keys;

  private UnifiedJedis jedis;
  private io.lettuce.core.RedisClient lettuce;
  private RedisBackend redis;
  private Jedis admin;
  private List<List<byte[]>> keyLists;
  private final LongAdder calls = new LongAdder();
  private Map<String, Long> statsBefore = Map.of();
  private long batchesBefore;
  private long commandsBefore;

  @Setup
  public void setUp() {
    String[] hostPort = System.getProperty("scaleblocks.redis", "127.0.0.1:6379").split(":");
    HostAndPort address = new HostAndPort(hostPort[0], Integer.parseInt(hostPort[1]));
    admin = new Jedis(address.getHost(), address.getPort());
    switch (backend) {
      case "jedis", "coalescing" -> {
        ConnectionPoolConfig pool = new ConnectionPoolConfig();
        pool.setMaxTotal(64);
        pool.setMaxIdle(64);
        jedis = RedisClient.builder().hostAndPort(address).poolConfig(pool)
            .clientConfig(DefaultJedisClientConfig.builder().build()).build();
        redis = backend.equals("jedis") ? RedisBackends.of(jedis) : RedisBackends.coalescing(jedis);
      }
      case "lettuce" -> {
        lettuce = io.lettuce.core.RedisClient.create(
            RedisURI.create(address.getHost(), address.getPort()));
        redis = RedisBackends.of(lettuce);
      }
      default -> throw new IllegalArgumentException("backend " + backend);
    }
    String run = "scaleblocks:bench:backend:" + UUID.randomUUID() + ":";
    int n = keys.equals("hot") ? 1 : 1000;
    keyLists = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      keyLists.add(List.of((run + i).getBytes(UTF_8)));
    }
  }

  @Setup(Level.Iteration)
  public void beforeIteration() {
    calls.reset();
    statsBefore = commandCalls();
    if (redis instanceof CoalescingJedisBackend c) {
      batchesBefore = c.batches();
      commandsBefore = c.commands();
    }
  }

  @TearDown(Level.Iteration)
  public void afterIteration() {
    Map<String, Long> after = commandCalls();
    long n = Math.max(1, calls.sum());
    long evalsha = after.getOrDefault("evalsha", 0L) - statsBefore.getOrDefault("evalsha", 0L);
    String pipelines = "";
    if (redis instanceof CoalescingJedisBackend c) {
      long batches = c.batches() - batchesBefore;
      long commands = c.commands() - commandsBefore;
      pipelines = String.format("; %d pipelines, %.1f commands each, largest so far %d",
          batches, (double) commands / Math.max(1, batches), c.largestBatch());
    }
    System.out.printf("%n[commandstats] %s/%s: %d calls, %d EVALSHA (%.3f per call)%s%n",
        backend, keys, n, evalsha, (double) evalsha / n, pipelines);
  }

  @TearDown
  public void tearDown() {
    admin.close();
    if (jedis != null) {
      jedis.close();
    }
    if (lettuce != null) {
      lettuce.shutdown();
    }
  }

  private Object call() {
    calls.increment();
    List<byte[]> key = keyLists.size() == 1 ? keyLists.get(0)
        : keyLists.get(ThreadLocalRandom.current().nextInt(keyLists.size()));
    return redis.eval(INCR, key, ONE);
  }

  @Benchmark
  @Threads(8)
  public Object eval8Threads() {
    return call();
  }

  @Benchmark
  @Threads(64)
  public Object eval64Threads() {
    return call();
  }

  private Map<String, Long> commandCalls() {
    Map<String, Long> stats = new HashMap<>();
    for (String line : admin.info("commandstats").split("\r\n")) {
      if (line.startsWith("cmdstat_")) {
        String name = line.substring("cmdstat_".length(), line.indexOf(':'));
        for (String field : line.substring(line.indexOf(':') + 1).split(",")) {
          if (field.startsWith("calls=")) {
            stats.put(name, Long.parseLong(field.substring("calls=".length())));
          }
        }
      }
    }
    return stats;
  }
}
