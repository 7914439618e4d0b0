package dev.scaleblocks.core;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.scaleblocks.core.breaker.CircuitBreaker;
import dev.scaleblocks.core.codec.Codec;
import dev.scaleblocks.core.hash.Hashing;
import dev.scaleblocks.core.internal.Checks;
import dev.scaleblocks.core.redis.RedisScript;
import dev.scaleblocks.core.redis.ScriptRunner;
import dev.scaleblocks.core.testing.FakeTicker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import org.jspecify.annotations.Nullable;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * Hostile arguments against every core builder option and entry point: each call either works, or
 * throws {@link IllegalArgumentException} / {@link NullPointerException} whose message names the
 * parameter; never another exception, a hang or an out-of-memory error.
 */
class CorePropertiesTest {

  private static final int TRIES = 200;
  /** A 10 MB string, the size of key the outside fault harness sent. */
  private static final String HUGE = "k".repeat(10 * 1024 * 1024);
  private static final ExecutorService RUNNER = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "property-runner");
    t.setDaemon(true);
    return t;
  });
  /** Never connected: every call given to it below fails validation before any I/O. */
  private static final UnifiedJedis UNUSED_CLIENT = RedisClient.create("127.0.0.1", 1);

  @AfterContainer
  static void shutdown() {
    RUNNER.shutdownNow();
    UNUSED_CLIENT.close();
  }

  interface Body {
    void run() throws Exception;
  }

  /**
   * Runs {@code body} (bounded in time) and accepts success, or an IAE/NPE whose message names one
   * of {@code parameters} as a word.
   */
  private static void validOrClear(Body body, String... parameters) {
    Future<?> f = RUNNER.submit(() -> {
      body.run();
      return null;
    });
    try {
      f.get(30, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      f.cancel(true);
      fail("hung for 30 s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      fail("interrupted");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (!(cause instanceof IllegalArgumentException || cause instanceof NullPointerException)) {
        throw new AssertionError("neither valid nor IAE/NPE: " + cause, cause);
      }
      String message = String.valueOf(cause.getMessage());
      assertThat(Arrays.stream(parameters)
              .anyMatch(p -> Pattern.compile("\\b" + Pattern.quote(p) + "\\b").matcher(message).find()))
          .as("message %s names one of %s", message, List.of(parameters))
          .isTrue();
    }
  }

  // ------------------------------------------------------------------ generators

  @Provide
  Arbitrary<Duration> durations() {
    return Arbitraries.oneOf(
        Arbitraries.of(Duration.ZERO, Duration.ofNanos(1), Duration.ofNanos(-1),
            Duration.ofSeconds(Long.MAX_VALUE), Duration.ofSeconds(Long.MIN_VALUE),
            Duration.ofSeconds(Long.MAX_VALUE, 999_999_999), Checks.MAX_DURATION,
            Checks.MAX_DURATION.plusNanos(1), Duration.ofDays(365 * 300)),
        Arbitraries.longs().map(Duration::ofNanos),
        Arbitraries.longs().between(-1_000_000, 1_000_000).map(Duration::ofMillis),
        Arbitraries.longs().map(Duration::ofSeconds))
        .injectNull(0.05);
  }

  @Provide
  Arbitrary<String> strings() {
    return Arbitraries.oneOf(
        Arbitraries.of("", " ", "\u0000", "\ud800", "x\udc00y", "caf\u00e9", HUGE),
        Arbitraries.strings().all().ofMaxLength(64),
        Arbitraries.strings().ascii().ofMaxLength(2048))
        .injectNull(0.05);
  }

  @Provide
  Arbitrary<Integer> counts() {
    return Arbitraries.oneOf(
        Arbitraries.of(Integer.MIN_VALUE, -1, 0, 1, 2, 1_000_000, 1_000_001, Integer.MAX_VALUE),
        Arbitraries.integers().between(-5, 50),
        Arbitraries.integers());
  }

  @Provide
  Arbitrary<Double> percents() {
    return Arbitraries.oneOf(
        Arbitraries.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.0,
            Double.MIN_VALUE, 100.0, Math.nextUp(100.0), Double.MAX_VALUE),
        Arbitraries.doubles().between(-10, 110));
  }

  @Provide
  Arbitrary<byte[]> byteArrays() {
    return Arbitraries.bytes().array(byte[].class).ofMaxSize(300).injectNull(0.05);
  }

  @Provide
  Arbitrary<List<String>> stringLists() {
    return Arbitraries.strings().ofMaxLength(8).injectNull(0.1).list().ofMaxSize(4).injectNull(0.1);
  }

  // ------------------------------------------------------------------ circuit breaker

  @Property(tries = TRIES)
  void breakerBuilder(
      @ForAll("strings") @Nullable String name,
      @ForAll("percents") double failureRate,
      @ForAll("percents") double slowRate,
      @ForAll("durations") @Nullable Duration slowCall,
      @ForAll("counts") int window,
      @ForAll("counts") int minimumCalls,
      @ForAll("durations") @Nullable Duration wait,
      @ForAll("counts") int permitted,
      @ForAll("durations") @Nullable Duration advance) {
    validOrClear(() -> {
      FakeTicker ticker = new FakeTicker();
      try (CircuitBreaker breaker = CircuitBreaker.builder(name)
          .failureRateThreshold(failureRate)
          .slowCallRateThreshold(slowRate)
          .slowCallDuration(slowCall)
          .slidingWindowSize(window)
          .minimumNumberOfCalls(minimumCalls)
          .waitDurationInOpenState(wait)
          .permittedCallsInHalfOpenState(permitted)
          .ticker(ticker)
          .telemetry(Telemetry.of(new SimpleMeterRegistry()))
          .build()) {
        // a valid breaker runs through its states without surprises
        for (int i = 0; i < 3 * Math.min(window, 100) + 3; i++) {
          if (breaker.tryAcquirePermission()) {
            if (i % 3 == 0) {
              breaker.onSuccess(i);
            } else {
              breaker.onError(Long.MAX_VALUE, new IOException("down"));
            }
          }
          if (advance != null && !advance.isNegative() && advance.compareTo(Checks.MAX_DURATION) <= 0
              && ticker.read() < Long.MAX_VALUE / 2) {
            ticker.advance(advance);
          }
        }
        assertThat(breaker.state()).isNotNull();
        breaker.reset();
      }
    }, "name", "failureRateThreshold", "slowCallRateThreshold", "slowCallDuration",
        "slidingWindowSize", "minimumNumberOfCalls", "waitDurationInOpenState",
        "permittedCallsInHalfOpenState");
  }

  @Property(tries = TRIES)
  void breakerOutcomes(@ForAll long duration, @ForAll boolean nullError) {
    validOrClear(() -> {
      try (CircuitBreaker breaker = CircuitBreaker.builder("p").minimumNumberOfCalls(1).build()) {
        breaker.tryAcquirePermission();
        breaker.onSuccess(duration);
        breaker.onError(duration, nullError ? null : new IOException("x"));
        breaker.call(null);
      }
    }, "error", "call");
  }

  // ------------------------------------------------------------------ scripts

  @Property(tries = TRIES)
  void redisScripts(@ForAll("strings") @Nullable String name, @ForAll("strings") @Nullable String source) {
    validOrClear(() -> {
      RedisScript script = RedisScript.of(name, source);
      assertThat(script.sha1()).hasSize(40);
    }, "name", "source");
  }

  @Property(tries = TRIES)
  void redisScriptResources(
      @ForAll boolean nullAnchor, @ForAll("strings") @Nullable String name,
      @ForAll("strings") @Nullable String resource) {
    validOrClear(
        () -> RedisScript.fromResource(nullAnchor ? null : CorePropertiesTest.class, name, resource),
        "anchor", "name", "resource");
  }

  @Property(tries = TRIES)
  void scriptRunnerArgumentsAreCheckedBeforeAnyIo(
      @ForAll boolean nullScript, @ForAll("stringLists") @Nullable List<String> keys,
      @ForAll("stringLists") @Nullable List<String> args) {
    boolean valid = !nullScript && keys != null && args != null
        && !keys.contains(null) && !args.contains(null);
    Assume.that(!valid); // valid calls go to Redis: ScriptRunnerIT
    RedisScript script = nullScript ? null : RedisScript.of("s", "return 1");
    ScriptRunner runner = new ScriptRunner(UNUSED_CLIENT);
    validOrClear(() -> runner.eval(script, keys, args), "script", "keys", "args");
    List<byte[]> binaryKeys = keys == null ? null : keys.stream().map(k -> k == null ? null : k.getBytes(UTF_8)).toList();
    List<byte[]> binaryArgs = args == null ? null : args.stream().map(a -> a == null ? null : a.getBytes(UTF_8)).toList();
    validOrClear(() -> runner.evalBinary(script, binaryKeys, binaryArgs), "script", "keys", "args");
  }

  @Property(tries = 20)
  void scriptRunnerNeedsAClient() {
    validOrClear(() -> new ScriptRunner(null), "jedis");
  }

  // ------------------------------------------------------------------ codecs

  @Property(tries = TRIES)
  void codecs(@ForAll("strings") @Nullable String s, @ForAll("byteArrays") byte @Nullable [] bytes,
      @ForAll long value) {
    validOrClear(() -> {
      String back = Codec.utf8().decode(Codec.utf8().encode(s));
      assertThat(back).isEqualTo(new String(s.getBytes(UTF_8), UTF_8));
    }, "value");
    validOrClear(() -> Codec.utf8().decode(bytes), "bytes");
    validOrClear(() -> assertThat(Codec.bytes().decode(Codec.bytes().encode(bytes))).isSameAs(bytes),
        "value");
    validOrClear(() -> Codec.longs().decode(bytes), "bytes");
    assertThat(Codec.longs().decode(Codec.longs().encode(value))).isEqualTo(value);
    validOrClear(() -> Codec.longs().encode(null), "value");
  }

  // ------------------------------------------------------------------ hashing

  @Property(tries = TRIES)
  void hashingRanges(@ForAll("byteArrays") byte @Nullable [] data, @ForAll("counts") int offset,
      @ForAll("counts") int length, @ForAll long seed) {
    validOrClear(() -> {
      long h = Hashing.xxHash64(data, offset, length, seed);
      assertThat(h).isEqualTo(Hashing.xxHash64(Arrays.copyOfRange(data, offset, offset + length), 0,
          length, seed));
    }, "data", "offset", "length");
    validOrClear(() -> {
      long h = Hashing.murmur3_64(data, offset, length, (int) seed);
      assertThat(h).isEqualTo(Hashing.murmur3_128(data, offset, length, (int) seed).h1());
    }, "data", "offset", "length");
    validOrClear(() -> assertThat(Hashing.xxHash64(data)).isEqualTo(Hashing.xxHash64(data, 0, data.length, 0)),
        "data");
    validOrClear(() -> assertThat(Hashing.murmur3_64(data)).isEqualTo(Hashing.murmur3_128(data).h1()),
        "data");
  }

  @Property(tries = TRIES)
  void hashingStringsAreTheirUtf8Bytes(@ForAll("strings") @Nullable String s) {
    validOrClear(() -> {
      byte[] utf8 = s.getBytes(UTF_8);
      assertThat(Hashing.xxHash64(s)).isEqualTo(Hashing.xxHash64(utf8));
      assertThat(Hashing.xxHash64(new StringBuilder(s))).isEqualTo(Hashing.xxHash64(utf8));
      assertThat(Hashing.murmur3_128(s)).isEqualTo(Hashing.murmur3_128(utf8));
      assertThat(Hashing.murmur3_64(s)).isEqualTo(Hashing.murmur3_64(utf8));
    }, "s");
  }

  // ------------------------------------------------------------------ checks

  @Property(tries = TRIES)
  void durationChecks(@ForAll("durations") @Nullable Duration d) {
    boolean inRange = d != null && !d.isNegative() && d.compareTo(Checks.MAX_DURATION) <= 0;
    validOrClear(() -> {
      Duration checked = Checks.requireNonNegative(d, "jitter");
      assertThat(inRange).as("accepted %s", d).isTrue();
      assertThat(checked).isSameAs(d);
      checked.toNanos(); // never overflows
    }, "jitter");
    validOrClear(() -> {
      Duration checked = Checks.requirePositive(d, "ttl");
      assertThat(inRange && !d.isZero()).as("accepted %s", d).isTrue();
      assertThat(checked).isSameAs(d);
      assertThat(System.nanoTime() + checked.toNanos()).as("no overflow on a clock reading").isPositive();
    }, "ttl");
    validOrClear(() -> Checks.requireInRange(d, Duration.ofMillis(1), Duration.ofMinutes(1), "timeout"),
        "timeout");
  }

  @Property(tries = TRIES)
  void numberAndStringChecks(@ForAll long value, @ForAll("counts") int count,
      @ForAll("percents") double percent, @ForAll("strings") @Nullable String s) {
    validOrClear(() -> assertThat(Checks.requirePositive(value, "quota")).isPositive(), "quota");
    validOrClear(() -> assertThat(Checks.requirePositive(count, "capacity")).isPositive(), "capacity");
    validOrClear(() -> assertThat(Checks.requireNonNegative(count, "burst")).isNotNegative(), "burst");
    validOrClear(() -> assertThat(Checks.requireInRange(value, -5, 5, "n")).isBetween(-5L, 5L), "n");
    validOrClear(() -> assertThat(Checks.requirePositive(percent, "weight")).isPositive().isFinite(),
        "weight");
    validOrClear(() -> {
      double checked = Checks.requireInRange(percent, 0, 100, "percent");
      assertThat(checked >= 0 && checked <= 100).as("accepted %s", checked).isTrue();
    }, "percent");
    validOrClear(() -> assertThat(Checks.requireNonEmpty(s, "name")).isNotEmpty(), "name");
  }
}
