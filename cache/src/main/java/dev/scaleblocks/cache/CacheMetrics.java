package dev.scaleblocks.cache;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.internal.OwnedMeters;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToDoubleFunction;

/**
 * The cache's meters. Hot counters are {@link LongAdder}s exposed as function counters, so that
 * counting an L1 hit is one uncontended add and never allocates, whatever the registry.
 *
 * <p>The meters belong to their cache: registered when it is built, removed by {@link #close()}.
 * A second cache with the same name on the same registry while the first is open is refused (it
 * would otherwise report nothing, its meters silently being the first one's). Without telemetry
 * ({@link Telemetry#none()}) nothing is registered.
 */
final class CacheMetrics implements AutoCloseable {

  final LongAdder l1Hits = new LongAdder();
  final LongAdder l1Misses = new LongAdder();
  final LongAdder l2Hits = new LongAdder();
  final LongAdder l2Misses = new LongAdder();
  final LongAdder l2Errors = new LongAdder();
  final LongAdder l2GetErrors = new LongAdder();
  final LongAdder loadSuccess = new LongAdder();
  final LongAdder loadFailure = new LongAdder();
  final LongAdder staleServed = new LongAdder();
  final LongAdder evictions = new LongAdder();
  final LongAdder invalidationsSent = new LongAdder();
  final LongAdder invalidationsUnsent = new LongAdder();
  final LongAdder invalidationsReceived = new LongAdder();
  final LongAdder invalidationsLost = new LongAdder();
  final LongAdder l1Clears = new LongAdder();
  final LongAdder l2WriteFailures = new LongAdder();
  final LongAdder decodeFailures = new LongAdder();
  final LongAdder oversized = new LongAdder();
  final LongAdder refreshes = new LongAdder();
  final LongAdder refreshesRejected = new LongAdder();
  final LongAdder leaseWaits = new LongAdder();
  final LongAdder tagInvalidationsLocal = new LongAdder();
  final LongAdder tagInvalidationsRemote = new LongAdder();
  final LongAdder tagEntriesL1 = new LongAdder();
  final LongAdder tagEntriesL2 = new LongAdder();
  final LongAdder softTimeoutStale = new LongAdder();
  final LongAdder hardTimeoutStale = new LongAdder();
  final LongAdder hardTimeoutFailures = new LongAdder();

  private final Timer loadTimer;
  private final OwnedMeters owned;
  /** Where meters go: the user's registry, or (no telemetry) a private one nobody reads. */
  private final MeterRegistry target;
  private final Tags tags;

  CacheMetrics(MeterRegistry registry, String cache) {
    this.owned = OwnedMeters.claim(registry, "cache", cache);
    this.target = owned.enabled() ? registry : new CompositeMeterRegistry();
    this.tags = Tags.of("cache", cache);
    counter("scaleblocks.cache.gets", l1Hits, "tier", "l1", "result", "hit");
    counter("scaleblocks.cache.gets", l1Misses, "tier", "l1", "result", "miss");
    counter("scaleblocks.cache.gets", l2Hits, "tier", "l2", "result", "hit");
    counter("scaleblocks.cache.gets", l2Misses, "tier", "l2", "result", "miss");
    counter("scaleblocks.cache.gets", l2GetErrors, "tier", "l2", "result", "error");
    counter("scaleblocks.cache.l2.errors", l2Errors);
    counter("scaleblocks.cache.loads", loadSuccess, "result", "success");
    counter("scaleblocks.cache.loads", loadFailure, "result", "failure");
    counter("scaleblocks.cache.loads", staleServed, "result", "stale");
    counter("scaleblocks.cache.evictions", evictions);
    counter("scaleblocks.cache.invalidations", invalidationsSent, "direction", "sent");
    counter("scaleblocks.cache.invalidations", invalidationsUnsent, "direction", "unsent");
    counter("scaleblocks.cache.invalidations", invalidationsReceived, "direction", "received");
    counter("scaleblocks.cache.invalidations", invalidationsLost, "direction", "lost");
    counter("scaleblocks.cache.l1.clears", l1Clears);
    counter("scaleblocks.cache.l2.write.failures", l2WriteFailures);
    counter("scaleblocks.cache.l2.decode.failures", decodeFailures);
    counter("scaleblocks.cache.oversized", oversized);
    counter("scaleblocks.cache.refreshes", refreshes, "result", "started");
    counter("scaleblocks.cache.refreshes", refreshesRejected, "result", "rejected");
    counter("scaleblocks.cache.lease.waits", leaseWaits);
    counter("scaleblocks.cache.tag.invalidations", tagInvalidationsLocal, "origin", "local");
    counter("scaleblocks.cache.tag.invalidations", tagInvalidationsRemote, "origin", "remote");
    counter("scaleblocks.cache.tag.entries", tagEntriesL1, "tier", "l1");
    counter("scaleblocks.cache.tag.entries", tagEntriesL2, "tier", "l2");
    counter("scaleblocks.cache.load.timeouts", softTimeoutStale, "timeout", "soft", "result", "stale");
    counter("scaleblocks.cache.load.timeouts", hardTimeoutStale, "timeout", "hard", "result", "stale");
    counter("scaleblocks.cache.load.timeouts", hardTimeoutFailures, "timeout", "hard", "result", "exception");
    this.loadTimer = track(Timer.builder("scaleblocks.cache.load.duration").tags(tags).register(target()));
  }

  private MeterRegistry target() {
    return target;
  }

  private <M extends Meter> M track(M meter) {
    return owned.add(meter);
  }

  <T> void gauge(String name, T obj, ToDoubleFunction<T> f) {
    track(Gauge.builder(name, obj, f).tags(tags).register(target()));
  }

  Timer l2Timer(String op) {
    return track(Timer.builder("scaleblocks.cache.l2.latency").tags(tags).tag("op", op).register(target()));
  }

  /** Removes exactly this cache's meters from the registry and frees its name there. Idempotent. */
  @Override
  public void close() {
    owned.close();
  }

  void recordLoad(long nanos) {
    loadTimer.record(nanos, TimeUnit.NANOSECONDS);
  }

  private void counter(String name, LongAdder adder, String... extraTags) {
    track(FunctionCounter.builder(name, adder, LongAdder::doubleValue)
        .tags(tags)
        .tags(extraTags)
        .register(target()));
  }
}
