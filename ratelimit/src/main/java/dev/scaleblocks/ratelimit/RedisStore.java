package dev.scaleblocks.ratelimit;

import dev.scaleblocks.core.Ticker;
import dev.scaleblocks.core.redis.RedisScript;
import dev.scaleblocks.core.redis.ScriptRunner;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Decides in Redis with exactly one {@code EVALSHA} of {@code ratelimit.lua}: every limit of the
 * policy read, decided and (when admitted) written in one script, on Redis' own clock. The keys of
 * one user key are {@code {prefix<key>}:s<limit index>}, each a packed 24-byte string: they share
 * a hash tag, hence a Cluster slot. (The {@code s} keeps them apart from the hashes an earlier
 * layout wrote at {@code :<limit index>}.)
 */
final class RedisStore implements Store {

  static final RedisScript SCRIPT =
      RedisScript.fromResource(RedisStore.class, "ratelimit", "/dev/scaleblocks/ratelimit/ratelimit.lua");

  private final ScriptRunner runner;
  private final String prefix;
  private final String algorithm;
  private final LimitSpec[] limits;
  private final List<String> limitArgs;
  /** Test hook: a client-side clock instead of Redis TIME, for deterministic contract tests. */
  private final @Nullable Ticker clock;

  RedisStore(ScriptRunner runner, String prefix, Algorithm algorithm, LimitSpec[] limits,
      @Nullable Ticker clock) {
    this.runner = runner;
    this.prefix = prefix;
    this.algorithm = switch (algorithm) {
      case TOKEN_BUCKET -> "tb";
      case GCRA -> "gcra";
      case FIXED_WINDOW -> "fw";
      case SLIDING_WINDOW -> "sw";
    };
    this.limits = limits;
    List<String> args = new ArrayList<>();
    for (LimitSpec l : limits) {
      args.add(Long.toString(l.quota()));
      args.add(Long.toString(l.periodMillis()));
      args.add(Long.toString(l.capacity()));
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

  @Override
  public Outcome decide(String key, long permits, long maxPermits) {
    Ticker c = clock;
    List<String> args = new ArrayList<>(4 + limitArgs.size());
    args.add(algorithm);
    args.add(c == null ? "-1" : Long.toString(LocalStores.nowMillis(c)));
    args.add(Long.toString(permits));
    args.add(Long.toString(maxPermits));
    args.addAll(limitArgs);
    Object reply = runner.eval(SCRIPT, keys(key), args);
    if (!(reply instanceof List<?> list) || list.size() != 8) {
      throw new IllegalStateException("unexpected reply from the rate-limit script: " + reply);
    }
    return new Outcome(
        num(list.get(0)) == 1,
        num(list.get(1)),
        (int) num(list.get(2)),
        num(list.get(3)),
        num(list.get(4)),
        num(list.get(5)),
        num(list.get(6)),
        num(list.get(7)));
  }

  private static long num(@Nullable Object o) {
    if (o instanceof Long l) {
      return l;
    }
    throw new IllegalStateException("unexpected value in the rate-limit script's reply: " + o);
  }
}
