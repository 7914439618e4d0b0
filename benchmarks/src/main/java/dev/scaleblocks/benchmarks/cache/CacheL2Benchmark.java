package dev.scaleblocks.benchmarks.cache;

import dev.scaleblocks.cache.TieredCache;
import dev.scaleblocks.core.codec.Codec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
import redis.clients.jedis.RedisClient;

/**
 * The L2 path on loopback Redis, each beside the raw Jedis code a user would write, one thread:
 *
 * <ul>
 *   <li>{@code l2Hit}: {@code get(key, loader)} with an L1 of size 0, so every call is one GET
 *       of the envelope plus decoding, vs {@code rawJedisGet}: Jedis GET + the same codec. Goal:
 *       ≤ 1.1× the raw latency.
 *   <li>{@code getAll100}: {@code getAll} of 100 keys with a cold L1 (one MGET) vs {@code
 *       rawJedis100Gets}: 100 single GETs. Each call takes the next of 100 groups of 100 keys
 *       while the L1 holds 100 entries, so the group asked for is never in L1. Goal: ≥ 20× faster.
 * </ul>
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

  private RedisClient client;
  private TieredCache<String, String> cache;
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
      rawKeys[i] = ("raw-" + name + ":" + i).getBytes(StandardCharsets.UTF_8);
      client.set(rawKeys[i], codec.encode(value));
    }
  }

  @TearDown
  public void tearDown() {
    cache.invalidateAll();
    bulkCache.invalidateAll();
    client.del(rawKeys);
    cache.close();
    bulkCache.close();
    client.close();
  }

  @Benchmark
  public String l2Hit() {
    return cache.get(keys.get(cursor = (cursor + 1) % 100), LOADER);
  }

  @Benchmark
  public String rawJedisGet() {
    return codec.decode(client.get(rawKeys[cursor = (cursor + 1) % 100]));
  }

  @Benchmark
  public Map<String, String> getAll100() {
    return bulkCache.getAll(groups.get(group = (group + 1) % 100), BULK_LOADER);
  }

  @Benchmark
  public void rawJedis100Gets(Blackhole bh) {
    for (byte[] key : rawKeys) {
      bh.consume(codec.decode(client.get(key)));
    }
  }
}
