package dev.scaleblocks.ratelimit;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import dev.scaleblocks.core.Ticker;
import dev.scaleblocks.core.internal.redis.GroupCommit;
import dev.scaleblocks.core.internal.redis.RedisBackend;
import dev.scaleblocks.core.redis.RedisScript;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * The Redis {@link CounterStore}: decides in exactly one {@code EVALSHA} of {@code
 * ratelimit.lua} (shared with other decisions under load, below): every limit of the policy read, decided and (when admitted) written in one
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
 * <p>Over a client that does not block, concurrent decisions go through a {@link GroupCommit}
 * per Cluster slot (one on a standalone Redis): a decision that finds fewer than {@value
 * #MAX_IN_FLIGHT} calls of its slot in flight is sent at once, as a plain call; those that queue
 * meanwhile leave together, at most {@value #MAX_BATCH}, as one call of the script in its batch
 * mode, which decides each in turn on one reading of Redis' clock, as if each had come alone in
 * that order. Each decision is in exactly one call, and a slot's calls go out in order on the
 * client's connection to its node, so two decisions of one key are decided in the order they were
 * asked. A call that fails fails every decision in it, none sent again; the script reports a
 * decision that Redis failed by itself (a key of another type) for that decision only.
 *
 * <p>Thread-safe and stateless but for its configuration and the batches' queues. Cost per
 * decision: one round trip (under load, a share of one), and the key and argument byte arrays of
 * that call. A refund is one more call of the same script, never batched.
 */
final class RedisCounterStore implements CounterStore {

  static final RedisScript SCRIPT = RedisScript.fromResource(
      RedisCounterStore.class, "ratelimit", "/dev/scaleblocks/ratelimit/ratelimit.lua");

  private static final byte[] BATCH = ascii("batch");
  /** Most decisions in one script call. */
  static final int MAX_BATCH = 64;
  /** Most script calls of one slot sent and not yet answered. */
  static final int MAX_IN_FLIGHT = 2;
  private static final int SLOTS = 16384;

  private final RedisBackend backend;
  private final String prefix;
  private final byte[] algorithm;
  private final LimitSpec[] limits;
  private final List<byte[]> limitArgs;
  /** Concurrent decisions sent as one call; null over a blocking client. */
  private final @Nullable GroupCommit<Request, StoreAnswer> batches;
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
    this.batches = backend.nonBlocking()
        ? new GroupCommit<>(this::send, backend.cluster() ? SLOTS : 1, MAX_BATCH, MAX_IN_FLIGHT)
        : null;
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
   * Sends the decision, or over a non-blocking client queues it behind the calls of its slot in
   * flight (to leave with the others queued there, as one call), and returns; the future completes
   * where the backend completes the call (on a blocking backend, after the call, on this thread).
   */
  @Override
  public CompletableFuture<StoreAnswer> decideAsync(String key, long permits, long maxPermits) {
    List<byte[]> keys = keyBytes(key);
    GroupCommit<Request, StoreAnswer> b = batches;
    if (b == null) {
      return backend.evalAsync(SCRIPT, keys, args(permits, maxPermits))
          .thenApply(RedisCounterStore::answer);
    }
    return b.submit(backend.slot(keys.get(0)), new Request(keys, permits, maxPermits));
  }

  /** One decision waiting for its batch. */
  private record Request(List<byte[]> keys, long permits, long maxPermits) {}

  /**
   * Sends {@code batch} as one call: a decision alone as a plain call of the script, several in
   * its batch mode; completes each decision's answer from the reply.
   */
  private CompletableFuture<?> send(List<GroupCommit.Pending<Request, StoreAnswer>> batch) {
    if (batch.size() == 1) {
      GroupCommit.Pending<Request, StoreAnswer> p = batch.get(0);
      return backend.evalAsync(SCRIPT, p.item.keys(), args(p.item.permits(), p.item.maxPermits()))
          .handle((reply, error) -> {
            if (error != null) {
              p.result.completeExceptionally(error);
            } else {
              complete(p, reply);
            }
            return null;
          });
    }
    List<byte[]> keys = new ArrayList<>(batch.size() * limits.length);
    List<byte[]> args = new ArrayList<>(4 + limitArgs.size() + 2 * batch.size());
    Ticker c = clock;
    args.add(algorithm);
    args.add(c == null ? number(-1) : number(LocalCounterStore.nowMillis(c)));
    args.add(BATCH);
    args.add(number(batch.size()));
    args.addAll(limitArgs);
    for (GroupCommit.Pending<Request, StoreAnswer> p : batch) {
      keys.addAll(p.item.keys());
      args.add(number(p.item.permits()));
      args.add(number(p.item.maxPermits()));
    }
    return backend.evalAsync(SCRIPT, keys, args).handle((reply, error) -> {
      if (error != null) {
        for (GroupCommit.Pending<Request, StoreAnswer> p : batch) {
          p.result.completeExceptionally(error);
        }
      } else if (!(reply instanceof List<?> replies) || replies.size() != batch.size()) {
        IllegalStateException e = new IllegalStateException(
            "unexpected reply from the rate-limit script for " + batch.size() + " decisions: "
                + reply);
        for (GroupCommit.Pending<Request, StoreAnswer> p : batch) {
          p.result.completeExceptionally(e);
        }
      } else {
        for (int i = 0; i < batch.size(); i++) {
          complete(batch.get(i), replies.get(i));
        }
      }
      return null;
    });
  }

  /** Completes {@code p} from its reply: an answer, or {@code {-1, message}} for a failure. */
  private static void complete(GroupCommit.Pending<Request, StoreAnswer> p,
      @Nullable Object reply) {
    try {
      if (reply instanceof List<?> list && list.size() == 2 && Long.valueOf(-1).equals(list.get(0))) {
        Object message = list.get(1);
        // the message names no key: keys are client IPs, users, tenants
        throw new IllegalStateException("redis failed one decision of a batch: "
            + (message instanceof byte[] bytes ? new String(bytes, UTF_8) : message));
      }
      p.result.complete(answer(reply));
    } catch (RuntimeException e) {
      p.result.completeExceptionally(e);
    }
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
