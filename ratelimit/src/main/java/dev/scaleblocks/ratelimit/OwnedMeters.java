package dev.scaleblocks.ratelimit;

import dev.scaleblocks.core.Telemetry;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * The meters one limiter registered, removed again by {@link #close()}, and its claim on its name
 * in the registry: while it is open, another limiter of the same name on the same registry is
 * refused (it would otherwise share, and on close remove, this one's meters). The registry of
 * {@link Telemetry#none()} records nothing, so no claim is made there.
 *
 * <p>Thread-safe; {@code close()} is idempotent.
 */
final class OwnedMeters implements AutoCloseable {

  /** Names claimed per registry, by registry identity; a registry no longer used is forgotten. */
  private static final Map<MeterRegistry, Set<String>> CLAIMS =
      Collections.synchronizedMap(new WeakHashMap<>());

  private final MeterRegistry registry;
  private final String kind;
  private final String name;
  private final boolean claimed;
  private final List<Meter> meters = new ArrayList<>();
  private boolean closed;

  private OwnedMeters(MeterRegistry registry, String kind, String name, boolean claimed) {
    this.registry = registry;
    this.kind = kind;
    this.name = name;
    this.claimed = claimed;
  }

  /**
   * Claims {@code name} on {@code registry} for a component of {@code kind}.
   *
   * @throws IllegalStateException when a component of that kind and name is open on the registry
   */
  static OwnedMeters claim(MeterRegistry registry, String kind, String name) {
    if (registry == Telemetry.none().meterRegistry()) {
      return new OwnedMeters(registry, kind, name, false);
    }
    synchronized (CLAIMS) {
      Set<String> names = CLAIMS.computeIfAbsent(registry, r -> new HashSet<>());
      if (!names.add(kind + '\n' + name)) {
        throw new IllegalStateException(kind + " named '" + name
            + "' is already registered on this meter registry; close it first or choose another name");
      }
    }
    return new OwnedMeters(registry, kind, name, true);
  }

  MeterRegistry registry() {
    return registry;
  }

  /** Keeps {@code meter} to remove it on close; returns it. */
  synchronized <M extends Meter> M add(M meter) {
    meters.add(meter);
    return meter;
  }

  /** Removes every meter added and releases the name. */
  @Override
  public void close() {
    List<Meter> toRemove;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      toRemove = new ArrayList<>(meters);
      meters.clear();
    }
    for (Meter m : toRemove) {
      registry.remove(m);
    }
    if (claimed) {
      synchronized (CLAIMS) {
        Set<String> names = CLAIMS.get(registry);
        if (names != null) {
          names.remove(kind + '\n' + name);
          if (names.isEmpty()) {
            CLAIMS.remove(registry);
          }
        }
      }
    }
  }
}
