package dev.scaleblocks.benchmarks.ratelimit;

import dev.scaleblocks.benchmarks.VirtualCallers;
import dev.scaleblocks.ratelimit.Decision;
import dev.scaleblocks.ratelimit.FailurePolicy;
import dev.scaleblocks.ratelimit.RateLimitPolicy;
import dev.scaleblocks.ratelimit.RateLimiter;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.distributed.BucketProxy;
import io.github.bucket4j.redis.jedis.Bucket4jJedis;
import io.github.bucket4j.redis.jedis.cas.JedisBasedProxyManager;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntPredicate;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * Redis-backed {@code tryAcquire} beside bucket4j-jedis (its CAS proxy manager) at the same
 * concurrency (8 threads by default, one pool of 16 connections each), on one hot key and on 1000
 * keys, plus our leasing mode (k = 100) against our per-request mode, and our per-request mode
 * over Lettuce ({@code tryAcquireLettuce}: one multiplexed connection, sent from the calling
 * thread) and over Jedis with {@code coalesceRedisCalls()} ({@code tryAcquireCoalesced}: the
 * calls in flight written as one pipeline on the limiter's own connection, sent from the calling
 * thread). Over both of these, decisions that queue behind a call in flight leave as one script
 * call (the script's batch mode). Limits are high enough that every call is admitted. Goals: ≥ 3×
 * bucket4j-jedis throughput at 8 threads, ≥ 100 000 decisions/s at 64; leasing ≥ 10×
 * per-request. After each iteration the server's {@code INFO commandstats} delta is divided by
 * the decisions made and printed: client commands per decision, script calls per decision and
 * decisions per script call, and the server's CPU time (INFO cpu) per decision (the shared server
 * may see other clients' commands too: give it a private one for exact figures).
 *
 * <p>The {@code …Virtual64} rows (Java 21+; {@code scripts/bench.sh} leaves them out on an older
 * JVM) ask the same decisions from 64 virtual threads that each invocation starts on one JMH
 * thread: the callers a server on virtual threads brings. With platform threads each decision
 * costs its caller a park and a wake-up in the kernel, whose ceiling on the machine {@code
 * HandOffBenchmark} measures; a virtual thread parks on its carrier instead.
 *
 * <p>Redis at {@code scaleblocks.redis} (default 127.0.0.1:6379). Run: {@code java -jar
 * benchmarks/target/benchmarks.jar RedisRateLimitBenchmark}; {@code -t 64 -e Virtual64} for 64
 * platform threads ({@code -t} would also multiply the virtual rows' callers).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
@Threads(8)
public class RedisRateLimitBenchmark {

  private static final long RATE = 1_000_000_000L;

  @Param({"1", "1000"})
  public int keys;

  private UnifiedJedis client;
  private Jedis admin;
  private RateLimiter perRequest;
  private RateLimiter leasing;
  private io.lettuce.core.RedisClient lettuceClient;
  private RateLimiter perRequestLettuce;
  private RateLimiter perRequestCoalesced;
  private JedisBasedProxyManager<byte[]> proxyManager;
  private BucketProxy[] bucket4j;
  private String[] keyNames;
  private final LongAdder decisions = new LongAdder();
  private double redisCpuBefore;
  private Map<String, Long> statsBefore = Map.of();

  @Setup
  public void setUp() {
    String[] hostPort = System.getProperty("scaleblocks.redis", "127.0.0.1:6379").split(":");
    HostAndPort address = new HostAndPort(hostPort[0], Integer.parseInt(hostPort[1]));
    ConnectionPoolConfig pool = new ConnectionPoolConfig();
    pool.setMaxTotal(16);
    pool.setMaxIdle(16);
    client = RedisClient.builder().hostAndPort(address).poolConfig(pool)
        .clientConfig(DefaultJedisClientConfig.builder().build()).build();
    admin = new Jedis(address.getHost(), address.getPort());
    String run = UUID.randomUUID().toString();
    RateLimitPolicy policy = RateLimitPolicy.builder("bench").limit(RATE, Duration.ofSeconds(1)).build();
    perRequest = RateLimiter.builder(policy).redis(client).keyPrefix("scaleblocks:bench:" + run + ":")
        .storeThreads(16).storeTimeout(Duration.ofSeconds(2))
        .failurePolicy(FailurePolicy.FAIL_CLOSED).build();
    RateLimitPolicy leasePolicy =
        RateLimitPolicy.builder("bench-lease").limit(RATE, Duration.ofSeconds(1)).build();
    leasing = RateLimiter.builder(leasePolicy).redis(client).keyPrefix("scaleblocks:bench:lease:" + run + ":")
        .storeThreads(16).storeTimeout(Duration.ofSeconds(2)).leasing(100)
        .failurePolicy(FailurePolicy.FAIL_CLOSED).build();
    lettuceClient = io.lettuce.core.RedisClient.create(
        io.lettuce.core.RedisURI.create(address.getHost(), address.getPort()));
    RateLimitPolicy lettucePolicy =
        RateLimitPolicy.builder("bench-lettuce").limit(RATE, Duration.ofSeconds(1)).build();
    perRequestLettuce = RateLimiter.builder(lettucePolicy).lettuce(lettuceClient)
        .keyPrefix("scaleblocks:bench:lettuce:" + run + ":").storeTimeout(Duration.ofSeconds(2))
        .failurePolicy(FailurePolicy.FAIL_CLOSED).build();
    RateLimitPolicy coalescedPolicy =
        RateLimitPolicy.builder("bench-coalesced").limit(RATE, Duration.ofSeconds(1)).build();
    perRequestCoalesced = RateLimiter.builder(coalescedPolicy).redis(client).coalesceRedisCalls()
        .keyPrefix("scaleblocks:bench:coalesced:" + run + ":").storeTimeout(Duration.ofSeconds(2))
        .failurePolicy(FailurePolicy.FAIL_CLOSED).build();
    proxyManager = Bucket4jJedis.casBasedBuilder(client).build();
    BucketConfiguration config = BucketConfiguration.builder()
        .addLimit(limit -> limit.capacity(RATE).refillGreedy(RATE, Duration.ofSeconds(1)))
        .build();
    keyNames = new String[keys];
    bucket4j = new BucketProxy[keys];
    for (int i = 0; i < keys; i++) {
      keyNames[i] = "client-" + i;
      bucket4j[i] = proxyManager.builder().build(
          ("scaleblocks:bench:b4j:" + run + ":" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8),
          () -> config);
    }
  }

  @Setup(Level.Iteration)
  public void beforeIteration() {
    decisions.reset();
    statsBefore = commandCalls();
    redisCpuBefore = redisCpuSeconds();
  }

  @TearDown(Level.Iteration)
  public void afterIteration(BenchmarkParams params) {
    Map<String, Long> after = commandCalls();
    long total = 0;
    StringBuilder detail = new StringBuilder();
    for (Map.Entry<String, Long> e : after.entrySet()) {
      long delta = e.getValue() - statsBefore.getOrDefault(e.getKey(), 0L);
      if (delta > 0 && !e.getKey().equals("info")) {
        detail.append(' ').append(e.getKey()).append('=').append(delta);
        // run inside scripts: bucket4j's CAS EVAL runs GET and SET, while its proxy also sends a
        // GET of its own
        if (!e.getKey().equals("set") && !e.getKey().equals("pexpire")
            && !e.getKey().equals("time")) {
          total += delta;
        }
      }
    }
    long scripts = delta(after, "evalsha") + delta(after, "eval");
    if (params.getBenchmark().contains(".anchorBucket4jJedis")) {
      // one GET inside every script call is not a client command
      total -= Math.min(scripts, delta(after, "get"));
    } else {
      // ours sends nothing but the script (TIME, GET and SET run inside it, one GET and at most
      // one SET per decision of a batch)
      total = scripts;
    }
    long n = Math.max(1, decisions.sum());
    double redisCpuMicros = (redisCpuSeconds() - redisCpuBefore) * 1e6 / n;
    System.out.printf(
        "%n[round trips] %d decisions, client commands per decision %.3f, script calls per "
            + "decision %.3f (%.1f decisions per call), redis CPU per decision %.1f µs;%s%n", n,
        (double) total / n, (double) scripts / n, (double) n / Math.max(1, scripts),
        redisCpuMicros, detail);
  }

  /**
   * The server's CPU time so far (user + system, all its threads), from {@code INFO cpu}: the
   * iteration's delta divided by its decisions is what one decision costs Redis itself.
   */
  private double redisCpuSeconds() {
    double seconds = 0;
    for (String line : admin.info("cpu").split("\r\n")) {
      if (line.startsWith("used_cpu_sys:") || line.startsWith("used_cpu_user:")) {
        seconds += Double.parseDouble(line.substring(line.indexOf(':') + 1));
      }
    }
    return seconds;
  }

  private long delta(Map<String, Long> after, String command) {
    return after.getOrDefault(command, 0L) - statsBefore.getOrDefault(command, 0L);
  }

  @TearDown
  public void tearDown() {
    perRequest.close();
    leasing.close();
    perRequestLettuce.close();
    perRequestCoalesced.close();
    lettuceClient.shutdown();
    admin.close();
    client.close();
  }

  private int pick() {
    return keys == 1 ? 0 : ThreadLocalRandom.current().nextInt(keys);
  }

  @Benchmark
  public Decision tryAcquire() {
    decisions.increment();
    return perRequest.tryAcquire(keyNames[pick()]);
  }

  @Benchmark
  public Decision tryAcquireLettuce() {
    decisions.increment();
    return perRequestLettuce.tryAcquire(keyNames[pick()]);
  }

  @Benchmark
  public Decision tryAcquireCoalesced() {
    decisions.increment();
    return perRequestCoalesced.tryAcquire(keyNames[pick()]);
  }

  @Benchmark
  public Decision tryAcquireLeasing() {
    decisions.increment();
    return leasing.tryAcquire(keyNames[pick()]);
  }

  @Benchmark
  public boolean anchorBucket4jJedis() {
    decisions.increment();
    return bucket4j[pick()].tryConsume(1);
  }

  // ------------------------------------------------------------ callers on virtual threads

  /** Callers per invocation of a {@code …Virtual64} row. */
  private static final int VIRTUAL_CALLERS = 64;
  /** Decisions per invocation: {@value #PER_CALLER} per caller. */
  private static final int VIRTUAL_DECISIONS = 6_400;
  private static final int PER_CALLER = VIRTUAL_DECISIONS / VIRTUAL_CALLERS;

  /**
   * {@value #VIRTUAL_CALLERS} virtual threads ask {@value #PER_CALLER} decisions each through
   * {@code decide} (a random key of the run's); the admitted count. A blocked virtual thread leaves
   * its carrier to the others instead of parking a kernel thread: the callers a server on virtual
   * threads (Jetty, Tomcat, Spring Boot with {@code spring.threads.virtual.enabled}) brings.
   */
  private int onVirtualThreads(IntPredicate decide) throws InterruptedException {
    int admitted = VirtualCallers.run(VIRTUAL_CALLERS, PER_CALLER, () -> decide.test(pick()));
    decisions.add(VIRTUAL_DECISIONS);
    return admitted;
  }

  /** {@link #tryAcquireLettuce}, asked by 64 virtual threads. Java 21+. */
  @Benchmark
  @Threads(1)
  @OperationsPerInvocation(VIRTUAL_DECISIONS)
  public int tryAcquireLettuceVirtual64() throws InterruptedException {
    return onVirtualThreads(k -> perRequestLettuce.tryAcquire(keyNames[k]).allowed());
  }

  /** {@link #tryAcquireCoalesced}, asked by 64 virtual threads. Java 21+. */
  @Benchmark
  @Threads(1)
  @OperationsPerInvocation(VIRTUAL_DECISIONS)
  public int tryAcquireCoalescedVirtual64() throws InterruptedException {
    return onVirtualThreads(k -> perRequestCoalesced.tryAcquire(keyNames[k]).allowed());
  }

  /** The anchor, asked by the same 64 virtual threads. Java 21+. */
  @Benchmark
  @Threads(1)
  @OperationsPerInvocation(VIRTUAL_DECISIONS)
  public int anchorBucket4jJedisVirtual64() throws InterruptedException {
    return onVirtualThreads(k -> bucket4j[k].tryConsume(1));
  }

  private Map<String, Long> commandCalls() {
    Map<String, Long> calls = new HashMap<>();
    for (String line : admin.info("commandstats").split("\r\n")) {
      if (line.startsWith("cmdstat_")) {
        String name = line.substring("cmdstat_".length(), line.indexOf(':'));
        for (String field : line.substring(line.indexOf(':') + 1).split(",")) {
          if (field.startsWith("calls=")) {
            calls.put(name, Long.parseLong(field.substring("calls=".length())));
          }
        }
      }
    }
    return calls;
  }
}
