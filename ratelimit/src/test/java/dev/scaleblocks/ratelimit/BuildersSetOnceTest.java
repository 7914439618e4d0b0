package dev.scaleblocks.ratelimit;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.testing.FakeTicker;
import dev.scaleblocks.core.testing.SetOnceOptions;
import dev.scaleblocks.ratelimit.concurrency.ConcurrencyLimit;
import dev.scaleblocks.ratelimit.throttle.Throttle;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every single-valued builder option refuses a second set, naming the option and its value. */
class BuildersSetOnceTest {

  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final RateLimiter limiter =
      RateLimiter.builder(RateLimitPolicy.builder("set-once")
          .algorithm(Algorithm.TOKEN_BUCKET).limit(Limit.of(10, Duration.ofSeconds(1))).build())
          .local().build();

  @AfterEach
  void close() {
    limiter.close();
    scheduler.shutdownNow();
  }

  @Test
  void throttleBuilder() {
    SetOnceOptions.of(Throttle.Builder.class, () -> Throttle.builder("t", limiter))
        .option("queueCapacity", b -> b.queueCapacity(20), "queueCapacity was already set to 20")
        .option("maxDelay", b -> b.maxDelay(Duration.ofSeconds(2)), "maxDelay was already set to PT2S")
        .option("maxKeys", b -> b.maxKeys(100), "maxKeys was already set to 100")
        .option("nodelay", Throttle.Builder::nodelay, "nodelay was already set")
        .option("ticker", b -> b.ticker(new FakeTicker()), "ticker was already set")
        .option("scheduler", b -> b.scheduler(scheduler), "scheduler was already set")
        .option("telemetry", b -> b.telemetry(Telemetry.none()), "telemetry was already set")
        .verify();
  }

  @Test
  void concurrencyLimitBuilder() {
    SetOnceOptions.of(ConcurrencyLimit.Builder.class, () -> ConcurrencyLimit.builder("c"))
        .option("initialLimit", b -> b.initialLimit(10), "initialLimit was already set to 10")
        .option("minLimit", b -> b.minLimit(2), "minLimit was already set to 2")
        .option("maxLimit", b -> b.maxLimit(50), "maxLimit was already set to 50")
        .option("window", b -> b.window(Duration.ofMillis(50)), "window was already set to PT0.05S")
        .option("windowSamples", b -> b.windowSamples(5), "windowSamples was already set to 5")
        .option("probeInterval", b -> b.probeInterval(100), "probeInterval was already set to 100")
        .option("ticker", b -> b.ticker(new FakeTicker()), "ticker was already set")
        .option("telemetry", b -> b.telemetry(Telemetry.none()), "telemetry was already set")
        .verify();
  }
}
