package dev.scaleblocks.benchmarks.core;

import com.google.common.hash.HashFunction;
import dev.scaleblocks.core.hash.Hashing;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import net.jpountz.xxhash.XXHash64;
import net.jpountz.xxhash.XXHashFactory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Key hashing: scaleblocks {@link Hashing} against the anchors a user would otherwise pick, on a
 * 32-char ASCII String key and on a long key. The anchors have to encode the String to bytes
 * (lz4-java) or go through a Hasher (Guava); ours hashes the chars directly.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar HashingBenchmark -prof gc}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HashingBenchmark {

  private static final HashFunction GUAVA_MURMUR = com.google.common.hash.Hashing.murmur3_128();
  private static final XXHash64 LZ4_XX = XXHashFactory.fastestJavaInstance().hash64();

  /** 32 ASCII chars, a typical "tenant:entity:id" key. */
  private String key = "tenant-0042:orders:0000001234567";
  private long longKey = 0x1234_5678_9ABC_DEF0L;

  @Benchmark
  public long xxHash64String() {
    return Hashing.xxHash64(key);
  }

  @Benchmark
  public long murmur3_64String() {
    return Hashing.murmur3_64(key);
  }

  @Benchmark
  public long anchorLz4XxHash64String() {
    byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
    return LZ4_XX.hash(bytes, 0, bytes.length, 0);
  }

  @Benchmark
  public long anchorGuavaMurmur3String() {
    return GUAVA_MURMUR.hashString(key, StandardCharsets.UTF_8).asLong();
  }

  @Benchmark
  public long xxHash64Long() {
    return Hashing.xxHash64(longKey);
  }

  @Benchmark
  public long murmur3_64Long() {
    return Hashing.murmur3_64(longKey);
  }

  @Benchmark
  public long anchorLz4XxHash64Long() {
    byte[] bytes = new byte[8];
    long v = longKey;
    for (int i = 0; i < 8; i++) {
      bytes[i] = (byte) (v >>> (8 * i));
    }
    return LZ4_XX.hash(bytes, 0, 8, 0);
  }

  @Benchmark
  public long anchorGuavaMurmur3Long() {
    return GUAVA_MURMUR.hashLong(longKey).asLong();
  }
}
