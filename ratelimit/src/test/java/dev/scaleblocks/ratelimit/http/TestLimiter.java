package dev.scaleblocks.ratelimit.http;

import dev.scaleblocks.ratelimit.Decision;
import dev.scaleblocks.ratelimit.RateLimitPolicy;
import dev.scaleblocks.ratelimit.RateLimiter;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A tiny limiter for adapter tests: {@code quota} permits per key that never refill, reset after
 * {@code 17 s}, retry after {@code 3 s}. Its async form completes after {@code asyncDelay} on
 * another thread, like a remote store.
 */
public final class TestLimiter implements RateLimiter {

  private final RateLimitPolicy policy;
  private final long quota;
  private final ConcurrentHashMap<String, AtomicLong> used = new ConcurrentHashMap<>();
  private volatile Duration asyncDelay = Duration.ZERO;

  public TestLimiter(String name, long quota, Duration window) {
    this.policy = RateLimitPolicy.builder(name).limit(quota, window).build();
    this.quota = quota;
  }

  public TestLimiter asyncDelay(Duration delay) {
    this.asyncDelay = delay;
    return this;
  }

  @Override
  public Decision tryAcquire(String key, long permits) {
    long n = used.computeIfAbsent(key, k -> new AtomicLong()).addAndGet(permits);
    Duration window = policy.limits().get(0).period();
    if (n <= quota) {
      return Decision.allowed(policy.name(), quota, quota - n, window, Duration.ofSeconds(17));
    }
    return Decision.rejected(policy.name(), quota, 0, window, Duration.ofSeconds(17), Duration.ofMillis(2500));
  }

  @Override
  public CompletableFuture<Decision> tryAcquireAsync(String key, long permits) {
    Duration d = asyncDelay;
    if (d.isZero()) {
      return CompletableFuture.completedFuture(tryAcquire(key, permits));
    }
    Executor later = CompletableFuture.delayedExecutor(d.toMillis(), TimeUnit.MILLISECONDS);
    return CompletableFuture.supplyAsync(() -> tryAcquire(key, permits), later);
  }

  @Override
  public Decision acquire(String key, long permits, Duration maxWait) {
    return tryAcquire(key, permits);
  }

  @Override
  public RateLimitPolicy policy() {
    return policy;
  }

  public long used(String key) {
    AtomicLong n = used.get(key);
    return n == null ? 0 : n.get();
  }
}
