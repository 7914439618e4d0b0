package dev.scaleblocks.ratelimit;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.scaleblocks.core.internal.redis.RedisBackend;
import dev.scaleblocks.core.redis.RedisScript;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plans of a {@link TenantPolicies} kept in Redis, so that every instance learns a change: a
 * hash {@code {scaleblocks:rl:<name>}:plans} of plan name → definition, and a (sharded on a
 * Cluster) channel {@code {scaleblocks:rl:<name>}:plans:changed} carrying the name of a plan just
 * written. {@link #write} stores and announces a plan; every instance's subscription re-reads the
 * plans it hears of — and all of them on every (re)subscription, so a change missed while
 * disconnected is picked up on reconnection — and hands each to {@code apply}.
 *
 * <p>A message carries no definition, only a name to re-read: messages may come in any order,
 * twice, or not at all (then the next subscription reads everything), and every instance ends with
 * the hash's definitions. The reads run on one daemon thread of its own, never on the client's
 * callback thread; a burst of messages is coalesced into one pass.
 *
 * <p>Definitions are text: {@code v1;<ALGORITHM>;<quota>,<period ms>,<burst>[;...]}.
 *
 * <p>Thread-safe. Cost: one connection for the subscription (the backend's), one thread, and per
 * change one {@code HGET} per instance.
 */
final class SharedPlans implements RedisBackend.SubscriptionListener, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SharedPlans.class);

  static final RedisScript SCRIPT = RedisScript.of("ratelimit-plans", """
      if ARGV[1] == 'set' then
        redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
        return 1
      elseif ARGV[1] == 'get' then
        return redis.call('HGET', KEYS[1], ARGV[2])
      end
      return redis.call('HGETALL', KEYS[1])
      """);

  private final String name;
  private final RedisBackend backend;
  private final byte[] hash;
  private final byte[] channel;
  private final int maxPending;
  private final Consumer<RateLimitPolicy> apply;
  private final Set<String> pending = ConcurrentHashMap.newKeySet();
  private volatile boolean reloadAll;
  private final ThreadPoolExecutor worker;
  private volatile RedisBackend.@Nullable Subscription subscription;

  SharedPlans(String name, RedisBackend backend, int maxPending, Consumer<RateLimitPolicy> apply) {
    this.name = name;
    this.backend = backend;
    String base = "{scaleblocks:rl:" + name + "}:plans";
    this.hash = base.getBytes(UTF_8);
    this.channel = (base + ":changed").getBytes(UTF_8);
    this.maxPending = maxPending;
    this.apply = apply;
    // one pass running and one queued at most: a queued pass sees everything pending
    this.worker = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1),
        r -> {
          Thread t = new Thread(r, "scaleblocks-ratelimit-" + name + "-plans");
          t.setDaemon(true);
          return t;
        }, new ThreadPoolExecutor.DiscardPolicy());
    worker.allowCoreThreadTimeOut(true);
  }

  /** Subscribes; the first subscription reads every plan. */
  void start() {
    subscription = backend.subscribe(channel, this);
  }

  /** Reads every plan now, on the calling thread; a plan not in Redis is left as it is. */
  void loadAll() {
    Object reply = backend.eval(SCRIPT, List.of(hash), List.of(bytes("all")));
    if (!(reply instanceof List<?> list)) {
      throw new IllegalStateException("unexpected reply to HGETALL of the plans: " + reply);
    }
    for (int i = 0; i + 1 < list.size(); i += 2) {
      accept(string(list.get(i)), list.get(i + 1));
    }
  }

  /** Stores {@code policy} in Redis and tells every instance (this one included). */
  void write(RateLimitPolicy policy) {
    backend.eval(SCRIPT, List.of(hash),
        List.of(bytes("set"), bytes(policy.name()), bytes(format(policy))));
    backend.publishSharded(channel, bytes(policy.name()));
  }

  @Override
  public void onSubscribed() {
    reloadAll = true;
    kick();
  }

  @Override
  public void onMessage(byte[] message) {
    if (pending.size() >= maxPending) {
      reloadAll = true;
    } else {
      pending.add(new String(message, UTF_8));
    }
    kick();
  }

  @Override
  public void onLost(String reason) {
    log.debug("tenant policies {}: plan subscription lost ({}); all plans are read again on "
        + "reconnection", name, reason);
  }

  private void kick() {
    worker.execute(this::drain);
  }

  private void drain() {
    try {
      if (reloadAll) {
        reloadAll = false;
        pending.clear();
        loadAll();
        return;
      }
      for (String plan : List.copyOf(pending)) {
        pending.remove(plan);
        accept(plan, backend.eval(SCRIPT, List.of(hash), List.of(bytes("get"), bytes(plan))));
      }
    } catch (RuntimeException e) {
      reloadAll = true; // read everything on the next message or subscription
      log.warn("tenant policies {}: reading the plans from Redis failed; read again on the next "
          + "change or reconnection", name, e);
    }
  }

  private void accept(String plan, @Nullable Object definition) {
    if (definition == null) {
      return;
    }
    RateLimitPolicy policy;
    try {
      policy = parse(plan, string(definition));
    } catch (RuntimeException e) {
      log.warn("tenant policies {}: plan {} in Redis is not a valid definition; ignored: {}", name,
          plan, e.getMessage());
      return;
    }
    try {
      apply.accept(policy);
    } catch (RuntimeException e) {
      log.warn("tenant policies {}: plan {} from Redis refused: {}", name, plan, e.getMessage());
    }
  }

  /** {@code v1;ALGORITHM;quota,periodMillis,burst;...} */
  static String format(RateLimitPolicy policy) {
    StringBuilder b = new StringBuilder("v1;").append(policy.algorithm().name());
    for (Limit l : policy.limits()) {
      b.append(';').append(l.quota()).append(',').append(l.period().toMillis()).append(',')
          .append(l.burst());
    }
    return b.toString();
  }

  static RateLimitPolicy parse(String plan, String definition) {
    String[] parts = definition.split(";", -1);
    if (parts.length < 3 || !parts[0].equals("v1")) {
      throw new IllegalArgumentException("definition must be v1;ALGORITHM;quota,period ms,burst"
          + "[;...] but was " + definition);
    }
    RateLimitPolicy.Builder b = RateLimitPolicy.builder(plan).algorithm(Algorithm.valueOf(parts[1]));
    for (int i = 2; i < parts.length; i++) {
      String[] l = parts[i].split(",", -1);
      if (l.length != 3) {
        throw new IllegalArgumentException("limit must be quota,period ms,burst but was " + parts[i]);
      }
      b.limit(Limit.of(Long.parseLong(l[0]), Duration.ofMillis(Long.parseLong(l[1])))
          .withBurst(Long.parseLong(l[2])));
    }
    return b.build();
  }

  @Override
  public void close() {
    RedisBackend.Subscription s = subscription;
    if (s != null) {
      s.close();
    }
    worker.shutdownNow();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }

  private static String string(@Nullable Object o) {
    if (o instanceof byte[] b) {
      return new String(b, UTF_8);
    }
    throw new IllegalStateException("unexpected value in the plans' reply: " + o);
  }
}
