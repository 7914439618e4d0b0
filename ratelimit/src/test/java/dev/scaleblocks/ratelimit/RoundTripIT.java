package dev.scaleblocks.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.testing.ThrowawayRedis;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * One decision, one round trip: on a private redis-server (so no one else's commands count),
 * {@code INFO commandstats} shows exactly one EVALSHA per decision and no other command sent by
 * the client; every key the script wrote carries a TTL.
 */
class RoundTripIT {

  /** Commands run inside the script, not sent by the client. */
  private static final Set<String> SCRIPT_INTERNAL = Set.of("get", "set", "time", "info");

  @ParameterizedTest
  @EnumSource(Algorithm.class)
  void exactlyOneEvalshaPerDecision(Algorithm algorithm) {
    check(RateLimitPolicy.builder("rt").algorithm(algorithm)
        .limit(50, Duration.ofSeconds(1)).limit(1000, Duration.ofHours(1)).build(), "}:s1");
  }

  /** The script's straight path for a policy of one limit keeps the same guarantees. */
  @ParameterizedTest
  @EnumSource(Algorithm.class)
  void exactlyOneEvalshaPerDecisionWithOneLimit(Algorithm algorithm) {
    check(RateLimitPolicy.builder("rt").algorithm(algorithm)
        .limit(1000, Duration.ofHours(1)).build(), "}:s0");
  }

  /** A key lives exactly as long as its state matters: until full refill, or the window's end. */
  @ParameterizedTest
  @EnumSource(Algorithm.class)
  void ttlIsTheTimeUntilTheKeyWouldBeFullAgain(Algorithm algorithm) {
    try (ThrowawayRedis redis = ThrowawayRedis.start();
        UnifiedJedis client = RedisClient.create(redis.host(), redis.port());
        Jedis admin = new Jedis(redis.host(), redis.port());
        RateLimiter limiter = RateLimiter.builder(RateLimitPolicy.builder("ttl").algorithm(algorithm)
                .limit(10, Duration.ofSeconds(10)).build())
            .redis(client).failurePolicy(FailurePolicy.FAIL_CLOSED)
            .storeTimeout(Duration.ofSeconds(5)).build()) {
      Decision d = limiter.tryAcquire("client", 3);
      assertThat(d.allowed()).isTrue();
      long pttl = admin.pttl("{scaleblocks:rl:ttl:client}:s0");
      long reset = d.resetAfter().toMillis();
      assertThat(reset).isPositive().isLessThanOrEqualTo(20_000);
      // the TTL is the time until full as Redis saw it, less the time since: 3 permits of a
      // bucket refilling one per second; the window's end; two windows less the elapsed part
      long full = switch (algorithm) {
        case TOKEN_BUCKET, GCRA -> 3_000;
        case FIXED_WINDOW -> reset;
        case SLIDING_WINDOW -> reset + 6_666; // t = (10 000 − e) + 3 334, full = 20 000 − e
      };
      assertThat(pttl).as("PTTL after a decision with reset %d ms", reset)
          .isPositive().isLessThanOrEqualTo(full).isGreaterThan(full - 2_000);
    }
  }

  private static void check(RateLimitPolicy policy, String hourKeySuffix) {
    try (ThrowawayRedis redis = ThrowawayRedis.start();
        UnifiedJedis client = RedisClient.create(redis.host(), redis.port());
        Jedis admin = new Jedis(redis.host(), redis.port())) {
      try (RateLimiter limiter = RateLimiter.builder(policy).redis(client)
          .failurePolicy(FailurePolicy.FAIL_CLOSED).storeTimeout(Duration.ofSeconds(5)).build()) {
        limiter.tryAcquire("warm-up"); // loads the script (NOSCRIPT, then EVAL)
        Map<String, Long> before = commandCalls(admin);
        int decisions = 200;
        for (int i = 0; i < decisions; i++) {
          limiter.tryAcquire("client-" + (i % 7));
        }
        Map<String, Long> after = commandCalls(admin);
        assertThat(after.getOrDefault("evalsha", 0L) - before.getOrDefault("evalsha", 0L))
            .isEqualTo(decisions);
        for (Map.Entry<String, Long> e : after.entrySet()) {
          if (!e.getKey().equals("evalsha") && !SCRIPT_INTERNAL.contains(e.getKey())) {
            assertThat(e.getValue() - before.getOrDefault(e.getKey(), 0L))
                .as("calls of %s", e.getKey()).isZero();
          }
        }
        Set<String> keys = admin.keys("*");
        // the hour limit's keys live on; the second's may already have expired (reset reached)
        for (int i = 0; i < 7; i++) {
          assertThat(keys).contains("{scaleblocks:rl:rt:client-" + i + hourKeySuffix);
        }
        for (String key : keys) {
          // -1 would be a key without TTL; 0 or -2 a key expiring or gone meanwhile
          assertThat(admin.pttl(key)).as("TTL of %s", key).isNotEqualTo(-1L);
        }
      }
    }
  }

  /** Calls per command so far, from {@code INFO commandstats}. */
  static Map<String, Long> commandCalls(Jedis admin) {
    Map<String, Long> calls = new HashMap<>();
    for (String line : admin.info("commandstats").split("\r\n")) {
      if (line.startsWith("cmdstat_")) {
        String name = line.substring("cmdstat_".length(), line.indexOf(':'));
        String stats = line.substring(line.indexOf(':') + 1);
        for (String field : stats.split(",")) {
          if (field.startsWith("calls=")) {
            calls.put(name, Long.parseLong(field.substring("calls=".length())));
          }
        }
      }
    }
    return calls;
  }
}
