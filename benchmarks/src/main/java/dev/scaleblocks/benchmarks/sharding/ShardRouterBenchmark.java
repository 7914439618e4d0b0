package dev.scaleblocks.benchmarks.sharding;

import com.google.common.hash.HashFunction;
import com.google.common.hash.Hashing;
import dev.scaleblocks.sharding.KeyHash;
import dev.scaleblocks.sharding.ShardRouter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code route} latency of every router for 10, 100 and 1000 shards, with a long key (hashed
 * inside the router by xxHash64) and a 32-char String key, beside the anchors a user would
 * otherwise write: Guava {@code Hashing.consistentHash} (+ murmur3_128 for the String) and a
 * {@code TreeMap} ring of 160 points per shard (murmur3 key hash, {@code ceilingEntry}).
 *
 * <p>Keys cycle through 4096 pre-built keys so that branch prediction cannot memorise one key.
 *
 * <p>Reading the rows: a ketama String route is mostly the key's hash (xxHash64 of 32 chars,
 * {@code HashingBenchmark.xxHash64String}); {@code routeLong} on the same ring is the lookup
 * alone. Guava's {@code consistentHash} anchor allocates (13.9 B/op at 1000 shards in every fork,
 * none at 100: escape analysis does not remove its generator there); and it takes the long key as
 * it is while our routers hash it first (xxHash64 of a long, about 2 ns), so jump is compared
 * with a little more work than Guava does.
 * Run: {@code java -jar benchmarks/target/benchmarks.jar ShardRouterBenchmark -prof gc}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ShardRouterBenchmark {

  private static final int KEYS = 4096;
  private static final HashFunction MURMUR = Hashing.murmur3_128();

  @Param({"10", "100", "1000"})
  public int shards;

  @Param({"KETAMA_MD5", "KETAMA_XXHASH", "JUMP", "RENDEZVOUS", "MAGLEV", "HASH_SLOTS", "GUAVA_CONSISTENT_HASH", "TREEMAP_RING"})
  public String router;

  private ShardRouter<String> ours;
  private TreeMap<Long, String> treeRing;
  private String[] stringKeys;
  private long[] longKeys;
  private int next;

  @Setup(Level.Trial)
  public void setUp() {
    SplittableRandom random = new SplittableRandom(42);
    stringKeys = new String[KEYS];
    longKeys = new long[KEYS];
    for (int i = 0; i < KEYS; i++) {
      // 32 ASCII chars, e.g. "tenant-0042:orders:0000001234567"
      stringKeys[i] = String.format("tenant-%04d:orders:%013d", random.nextInt(10_000), random.nextLong(10_000_000_000_000L));
      longKeys[i] = random.nextLong();
    }
    ShardRouter.Builder<String> b;
    switch (router) {
      case "KETAMA_MD5":
        b = ShardRouter.ketama();
        break;
      case "KETAMA_XXHASH":
        b = ShardRouter.<String>ketama().keyHash(KeyHash.XXHASH64);
        break;
      case "JUMP":
        b = ShardRouter.jump();
        break;
      case "RENDEZVOUS":
        b = ShardRouter.rendezvous();
        break;
      case "MAGLEV":
        b = ShardRouter.maglev();
        break;
      default:
        b = ShardRouter.hashSlots();
    }
    for (int s = 0; s < shards; s++) {
      b.shard("10.0." + (s / 250) + "." + (s % 250) + ":11211", "shard-" + s);
    }
    ours = b.build();
    treeRing = new TreeMap<>();
    for (int s = 0; s < shards; s++) {
      for (int p = 0; p < 160; p++) {
        treeRing.put(MURMUR.hashString("shard-" + s + "-" + p, StandardCharsets.UTF_8).asLong(), "shard-" + s);
      }
    }
  }

  private String treeRoute(long hash) {
    Map.Entry<Long, String> e = treeRing.ceilingEntry(hash);
    return e != null ? e.getValue() : treeRing.firstEntry().getValue();
  }

  @Benchmark
  public Object routeLong() {
    long key = longKeys[next++ & (KEYS - 1)];
    switch (router) {
      case "GUAVA_CONSISTENT_HASH":
        return Hashing.consistentHash(key, shards);
      case "TREEMAP_RING":
        return treeRoute(MURMUR.hashLong(key).asLong());
      default:
        return ours.route(key);
    }
  }

  @Benchmark
  public Object routeString() {
    String key = stringKeys[next++ & (KEYS - 1)];
    switch (router) {
      case "GUAVA_CONSISTENT_HASH":
        return Hashing.consistentHash(MURMUR.hashString(key, StandardCharsets.UTF_8), shards);
      case "TREEMAP_RING":
        return treeRoute(MURMUR.hashString(key, StandardCharsets.UTF_8).asLong());
      default:
        return ours.route(key);
    }
  }
}
