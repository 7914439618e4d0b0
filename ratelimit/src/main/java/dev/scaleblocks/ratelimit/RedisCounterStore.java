package dev.scaleblocks.ratelimit;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import dev.scaleblocks.core.Ticker;
import dev.scaleblocks.core.internal.redis.RedisBackend;
import dev.scaleblocks.core.redis.RedisScript;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * The Redis {@link CounterStore}: decides with exactly one {@code EVALSHA} of {@code
 * ratelimit.lua}: every limit of the policy read, decided and (when admitted) written in one
 * script, on Redis' own clock. The keys of one user key are {@code {prefix<key>}:s<limit index>},
 * each a packed 24-byte string: they share a hash tag, hence a Cluster slot. (The {@code s} keeps
 * them apart from the hashes an earlier layout wrote at {@code :<limit index>}.)
 *
 * <p>Talks to Redis through core's backend contract, so the same store runs over Jedis (blocking:
 * {@link #decide} is called on a store thread) and over Lettuce ({@linkplain #nonBlocking()
 * non-blocking}: {@link #decideAsync} sends and returns; the future completes on Lettuce's I/O
 * thread). No timeout, breaker or retry of its own: the {@link GuardedStore} in front of it
 * bounds the wait and judges failures.
 *
 * <p>Thread-safe and stateless but for its configuration. Cost per decision: one round trip, and
 * the key and argument byte arrays of that call. A refund is one more call of the same script.
 */
final class RedisCounterStore implements CounterStore {

  static final RedisScript SCRIPT = RedisScript.fromResource(
      RedisCounterStore.class, "ratelimit", "/dev/scaleblocks/ratelimit/ratelimit.lua");

  private final RedisBackend backend;
  private final String prefix;
  private final byte[] algorithm;
  private final LimitSpec[] limits;
  private final List<byte[]> limitArgs;
  /** Test hook: a client-side clock instead of Redis TIME, for deterministic contract tests. */
  private final @Nullable Ticker clock;

  RedisCounterStore(RedisBackend backend, String prefix, Algorithm algorithm, LimitSpec[] limits,
      @Nullable Ticker clock) {
    this.backend = backend;
    this.prefix = prefix;
    this.algorithm = ascii(switch (algorithm) {
      case TOKEN_BUCKET -> "tb";
      case GCRA -> "gcra";
      case FIXED_WINDOW -> "fw";
      case SLIDING_WINDOW -> "sw";
    });
    this.limits = limits;
    List<byte[]> args = new ArrayList<>();
    for (LimitSpec l : limits) {
      args.add(number(l.quota()));
      args.add(number(l.periodMillis()));
      args.add(number(l.capacity()));
    }
    this.limitArgs = List.copyOf(args);
    this.clock = clock;
  }

  List<String> keys(String key) {
    String tagged = "{" + prefix + key + "}:s";
    List<String> keys = new ArrayList<>(limits.length);
    for (int i = 0; i < limits.length; i++) {
      keys.add(tagged + i);
    }
    return keys;
  }

  /** The script's keys for {@code key}, as bytes. */
  private List<byte[]> keyBytes(String key) {
    List<String> keys = keys(key);
    List<byte[]> out = new ArrayList<>(keys.size());
    for (String k : keys) {
      out.add(k.getBytes(UTF_8));
    }
    return out;
  }

  private List<byte[]> args(long permits, long maxPermits) {
    Ticker c = clock;
    List<byte[]> args = new ArrayList<>(4 + limitArgs.size());
    args.add(algorithm);
    args.add(c == null ? number(-1) : number(LocalCounterStore.nowMillis(c)));
    args.add(number(permits));
    args.add(number(maxPermits));
    args.addAll(limitArgs);
    return args;
  }

  /** Runs the script and waits for its reply; {@code progress} hears of it right before. */
  @Override
  public StoreAnswer decide(String key, long permits, long maxPermits, Progress progress) {
    List<byte[]> keys = keyBytes(key);
    List<byte[]> args = args(permits, maxPermits);
    progress.enteringRedis();
    return answer(backend.eval(SCRIPT, keys, args));
  }

  /** Whether the backend's client sends without blocking (Lettuce). */
  @Override
  public boolean nonBlocking() {
    return backend.nonBlocking();
  }

  /**
   * Sends the script and returns; the future completes where the backend completes it (on a
   * blocking backend, after the call, on this thread).
   */
  @Override
  public CompletableFuture<StoreAnswer> decideAsync(String key, long permits, long maxPermits) {
    return backend.evalAsync(SCRIPT, keyBytes(key), args(permits, maxPermits))
        .thenApply(RedisCounterStore::answer);
  }

  /**
   * Gives back {@code permits} admitted at {@code atMillis} (Redis time) in one {@code EVALSHA} of
   * the same script, in refund mode: the script brings each limit to now and gives back what
   * {@link CounterMath#refund} would; waits for the reply.
   */
  @Override
  public boolean refund(String key, long permits, long atMillis) {
    return refunded(backend.eval(SCRIPT, keyBytes(key), args(-permits, atMillis)));
  }

  /** {@link #refund} sent without waiting; completes where the backend completes it. */
  @Override
  public CompletableFuture<Boolean> refundAsync(String key, long permits, long atMillis) {
    return backend.evalAsync(SCRIPT, keyBytes(key), args(-permits, atMillis))
        .thenApply(RedisCounterStore::refunded);
  }

  private static boolean refunded(@Nullable Object reply) {
    return num(reply) == 1;
  }

  private static StoreAnswer answer(@Nullable Object reply) {
    if (!(reply instanceof List<?> list) || list.size() != 8) {
      throw new IllegalStateException("unexpected reply from the rate-limit script: " + reply);
    }
    return new StoreAnswer(
        num(list.get(0)) == 1,
        num(list.get(1)),
        (int) num(list.get(2)),
        num(list.get(3)),
        num(list.get(4)),
        num(list.get(5)),
        num(list.get(6)),
        num(list.get(7)));
  }

  private static byte[] number(long n) {
    return ascii(Long.toString(n));
  }

  private static byte[] ascii(String s) {
    return s.getBytes(US_ASCII);
  }

  private static long num(@Nullable Object o) {
    if (o instanceof Long l) {
      return l;
    }
    throw new IllegalStateException("unexpected value in the rate-limit script's reply: " + o);
  }
}
