package dev.scaleblocks.benchmarks.cache;

import dev.scaleblocks.cache.TieredCache;
import dev.scaleblocks.core.codec.Codec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClient;

/**
 * The L2 path on loopback Redis, each beside the raw client code a user would write:
 *
 * <ul>
 *   <li>{@code l2Hit}: {@code get(key, loader)} with an L1 of size 0, so every call is one L2
 *       read of the envelope (GET and PTTL written together: one round trip) plus decoding, vs
 *       {@code rawJedisGet}: Jedis GET + the same codec. Goal: ≤ 1.1× the raw latency. One thread.
 *   <li>{@code l2HitLettuce}: the same over Lettuce (one multiplexed connection), vs {@code
 *       rawLettuceGet}: a GET on Lettuce's sync API + the same codec. Goal: ≤ 1.1×. One thread.
 *   <li>{@code getAll100}: {@code getAll} of 100 keys with a cold L1 (one MGET and the 100 PTTLs,
 *       one round trip) vs {@code rawJedis100Gets}: 100 single GETs. Each call takes the next of
 *       100 groups of 100 keys while the L1 holds 100 entries, so the group asked for is never in
 *       L1. Goal: ≥ 20× faster. One thread.
 *   <li>{@code l2Hit16}, {@code l2HitLettuce16}: 16 threads, each reading keys of its own with an L1
 *       of size 0 (every call an L2 read), the cache over a Jedis pool of 16 connections and over
 *       Lettuce, vs {@code rawJedisGet16}: GETs + codec on the same kind of pool of 16. Goal: ≥ 3×
 *       the raw throughput.
 *   <li>{@code l2HitCoalesced16}: the same 16 threads and keys, the cache over the same pool with
 *       {@code coalesceRedisCalls()}: the reads of all threads at once ride one pipeline on the
 *       cache's own connection. Goal: ≥ 3× the raw throughput.
 * </ul>
 *
 * <p>After each iteration the server's {@code INFO commandstats} delta (GET, PTTL, MGET and
 * every other data command) is divided by the calls made and printed as {@code [commands per
 * call]}; the shared server may see other clients' commands too (they show as EVALSHA, SET). Measured: an
 * L2 hit is 1 GET + 1 PTTL per call (written together, one round trip) on either client and at 16
 * threads; {@code getAll100} is 1 MGET + 100 PTTL per call (one round trip); the raw rows 1 GET
 * (100 for {@code rawJedis100Gets}).
 *
 * <p>Redis at {@code scaleblocks.redis} (default 127.0.0.1:6379); the keys are removed afterwards.
 * Run: {@code java -jar benchmarks/target/benchmarks.jar CacheL2Benchmark}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@Threads(1)
public class CacheL2Benchmark {

  private static final Function<String, String> LOADER = k -> {
    throw new IllegalStateException("every key is in Redis; a load means a miss");
  };
  private static final Function<java.util.Set<String>, Map<String, String>> BULK_LOADER = k -> {
    throw new IllegalStateException("every key is in Redis; a load means a miss: " + k);
  };

  /** Keys per thread for the 16-thread rows; thread ids are handed out by {@link #nextThread}. */
  private static final int PER_THREAD = 100;
  private static final int THREADS = 16;

  private RedisClient client;
  private RedisClient pool16;
  private io.lettuce.core.RedisClient lettuceClient;
  private io.lettuce.core.api.StatefulRedisConnection<byte[], byte[]> lettuceConnection;
  private io.lettuce.core.api.sync.RedisCommands<byte[], byte[]> rawLettuce;
  private Jedis admin;
  private TieredCache<String, String> cache;
  private TieredCache<String, String> lettuceCache;
  private TieredCache<String, String> cache16;
  private TieredCache<String, String> lettuceCache16;
  private TieredCache<String, String> coalescedCache16;
  private final AtomicInteger nextThread = new AtomicInteger();
  private final LongAdder calls = new LongAdder();
  /**
   * Loads at 16 threads: an L2 read that fails (past l2Timeout on a busy machine) loads instead;
   * counted and printed rather than thrown, so that such a read costs what it costs a user.
   */
  private final LongAdder loads = new LongAdder();
  private final Function<String, String> countingLoader = k -> {
    loads.increment();
    return "x".repeat(100);
  };
  private Map<String, Long> statsBefore = Map.of();
  private TieredCache<String, String> bulkCache;
  private List<List<String>> groups;
  private int group;
  private Codec<String> codec;
  private String name;
  private List<String> keys;
  private byte[][] rawKeys;
  private int cursor;

  @Setup
  public void setUp() {
    String[] hostPort = System.getProperty("scaleblocks.redis", "127.0.0.1:6379").split(":");
    client = RedisClient.create(hostPort[0], Integer.parseInt(hostPort[1]));
    codec = Codec.utf8();
    name = "bench-l2-" + UUID.randomUUID();
    cache = TieredCache.builder()
        .name(name)
        .maximumSize(0) // nothing stays in L1: every call goes to L2
        .keyCodec(Codec.utf8())
        .valueCodec(codec)
        .redis(client)
        .invalidation(false)
        .<String, String>build();
    lettuceClient = io.lettuce.core.RedisClient.create(
        io.lettuce.core.RedisURI.create(hostPort[0], Integer.parseInt(hostPort[1])));
    lettuceConnection = lettuceClient.connect(io.lettuce.core.codec.ByteArrayCodec.INSTANCE);
    rawLettuce = lettuceConnection.sync();
    lettuceCache = TieredCache.builder()
        .name(name + "-lettuce")
        .maximumSize(0)
        .keyCodec(Codec.utf8())
        .valueCodec(codec)
        .lettuce(lettuceClient)
        .invalidation(false)
        .<String, String>build();
    ConnectionPoolConfig sixteen = new ConnectionPoolConfig();
    sixteen.setMaxTotal(THREADS);
    sixteen.setMaxIdle(THREADS);
    pool16 = RedisClient.builder().hostAndPort(hostPort[0], Integer.parseInt(hostPort[1])).poolConfig(sixteen)
        .clientConfig(DefaultJedisClientConfig.builder().build()).build();
    cache16 = TieredCache.builder()
        .name(name + "-16")
        .maximumSize(0)
        .keyCodec(Codec.utf8())
        .valueCodec(codec)
        .redis(pool16)
        .invalidation(false)
        .<String, String>build();
    coalescedCache16 = TieredCache.builder()
        .name(name + "-16") // the keys cache16 writes
        .maximumSize(0)
        .keyCodec(Codec.utf8())
        .valueCodec(codec)
        .redis(pool16)
        .coalesceRedisCalls()
        .invalidation(false)
        .<String, String>build();
    lettuceCache16 = TieredCache.builder()
        .name(name + "-lettuce-16")
        .maximumSize(0)
        .keyCodec(Codec.utf8())
        .valueCodec(codec)
        .lettuce(lettuceClient)
        .invalidation(false)
        .<String, String>build();
    admin = new Jedis(hostPort[0], Integer.parseInt(hostPort[1]));
    bulkCache = TieredCache.builder()
        .name(name + "-bulk")
        .maximumSize(100)
        .keyCodec(Codec.utf8())
        .valueCodec(codec)
        .redis(client)
        .invalidation(false)
        .<String, String>build();
    keys = new ArrayList<>();
    rawKeys = new byte[100][];
    String value = "x".repeat(100);
    groups = new ArrayList<>();
    for (int g = 0; g < 100; g++) {
      List<String> groupKeys = new ArrayList<>();
      Map<String, String> values = new java.util.HashMap<>();
      for (int i = 0; i < 100; i++) {
        groupKeys.add("key-" + g + "-" + i);
        values.put("key-" + g + "-" + i, value);
      }
      bulkCache.putAll(values);
      groups.add(groupKeys);
    }
    for (int i = 0; i < 100; i++) {
      String key = "key-" + i;
      keys.add(key);
      cache.put(key, value);
      lettuceCache.put(key, value);
      rawKeys[i] = ("raw-" + name + ":" + i).getBytes(StandardCharsets.UTF_8);
      client.set(rawKeys[i], codec.encode(value));
    }
    threadKeys = new String[THREADS * PER_THREAD];
    threadRawKeys = new byte[THREADS * PER_THREAD][];
    for (int i = 0; i < threadKeys.length; i++) {
      threadKeys[i] = "thread-key-" + i;
      cache16.put(threadKeys[i], value);
      lettuceCache16.put(threadKeys[i], value);
      threadRawKeys[i] = ("raw-" + name + ":thread:" + i).getBytes(StandardCharsets.UTF_8);
      client.set(threadRawKeys[i], codec.encode(value));
    }
  }

  private String[] threadKeys;
  private byte[][] threadRawKeys;

  /** One thread's own keys ({@link #PER_THREAD} of them, no other thread reads them) and its cursor. */
  @State(Scope.Thread)
  public static class OwnKeys {
    int first;
    int cursor;

    @Setup
    public void setUp(CacheL2Benchmark shared) {
      first = (shared.nextThread.getAndIncrement() % THREADS) * PER_THREAD;
    }

    int next() {
      cursor = (cursor + 1) % PER_THREAD;
      return first + cursor;
    }
  }

  @Setup(Level.Iteration)
  public void beforeIteration() {
    calls.reset();
    loads.reset();
    statsBefore = commandCalls();
  }

  /** Prints the data commands Redis received in the iteration, per benchmark call. */
  @TearDown(Level.Iteration)
  public void afterIteration() {
    Map<String, Long> after = commandCalls();
    long n = Math.max(1, calls.sum());
    StringBuilder detail = new StringBuilder();
    for (Map.Entry<String, Long> e : new java.util.TreeMap<>(after).entrySet()) {
      long delta = e.getValue() - statsBefore.getOrDefault(e.getKey(), 0L);
      if (delta > 0 && !e.getKey().equals("info")) {
        detail.append(' ').append(e.getKey()).append('=').append(String.format("%.3f", (double) delta / n));
      }
    }
    System.out.printf("%n[commands per call] %d calls, %d loads;%s%n", n, loads.sum(), detail);
  }

  private Map<String, Long> commandCalls() {
    Map<String, Long> out = new java.util.HashMap<>();
    for (String line : admin.info("commandstats").split("\r\n")) {
      if (line.startsWith("cmdstat_")) {
        String command = line.substring("cmdstat_".length(), line.indexOf(':'));
        for (String field : line.substring(line.indexOf(':') + 1).split(",")) {
          if (field.startsWith("calls=")) {
            out.put(command, Long.parseLong(field.substring("calls=".length())));
          }
        }
      }
    }
    return out;
  }

  @TearDown
  public void tearDown() {
    cache.invalidateAll();
    lettuceCache.invalidateAll();
    cache16.invalidateAll();
    lettuceCache16.invalidateAll();
    bulkCache.invalidateAll();
    client.del(rawKeys);
    client.del(threadRawKeys);
    cache.close();
    lettuceCache.close();
    cache16.close();
    lettuceCache16.close();
    coalescedCache16.close();
    bulkCache.close();
    lettuceConnection.close();
    lettuceClient.shutdown();
    admin.close();
    pool16.close();
    client.close();
  }

  @Benchmark
  public String l2Hit() {
    calls.increment();
    return cache.get(keys.get(cursor = (cursor + 1) % 100), LOADER);
  }

  @Benchmark
  public String rawJedisGet() {
    calls.increment();
    return codec.decode(client.get(rawKeys[cursor = (cursor + 1) % 100]));
  }

  @Benchmark
  public String l2HitLettuce() {
    calls.increment();
    return lettuceCache.get(keys.get(cursor = (cursor + 1) % 100), LOADER);
  }

  @Benchmark
  public String rawLettuceGet() {
    calls.increment();
    return codec.decode(rawLettuce.get(rawKeys[cursor = (cursor + 1) % 100]));
  }

  @Benchmark
  public Map<String, String> getAll100() {
    calls.increment();
    return bulkCache.getAll(groups.get(group = (group + 1) % 100), BULK_LOADER);
  }

  @Benchmark
  public void rawJedis100Gets(Blackhole bh) {
    calls.increment();
    for (byte[] key : rawKeys) {
      bh.consume(codec.decode(client.get(key)));
    }
  }

  @Benchmark
  @Threads(THREADS)
  public String l2Hit16(OwnKeys own) {
    calls.increment();
    return cache16.get(threadKeys[own.next()], countingLoader);
  }

  @Benchmark
  @Threads(THREADS)
  public String l2HitCoalesced16(OwnKeys own) {
    calls.increment();
    return coalescedCache16.get(threadKeys[own.next()], countingLoader);
  }

  @Benchmark
  @Threads(THREADS)
  public String l2HitLettuce16(OwnKeys own) {
    calls.increment();
    return lettuceCache16.get(threadKeys[own.next()], countingLoader);
  }

  @Benchmark
  @Threads(THREADS)
  public String rawJedisGet16(OwnKeys own) {
    calls.increment();
    return codec.decode(pool16.get(threadRawKeys[own.next()]));
  }
}
