package dev.scaleblocks.core.internal;

import dev.scaleblocks.core.Telemetry;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * The meters one component (a cache, a limiter, a breaker, a pool) registered, removed again by
 * {@link #close()}, and its claim on its name in the registry. While the component is open, a
 * second one of the same kind and name on the same registry is refused: it would otherwise share
 * the first one's meters (reporting nothing of its own) and remove them when it closed. The
 * registry of {@link Telemetry#none()} records nothing, so nothing is claimed there.
 *
 * <p>Thread-safe; {@code close()} is idempotent. Claims are kept per registry by identity, and a
 * registry no longer referenced is forgotten. One monitor, held only for the map update.
 *
 * <p>Not part of the public API: may change without notice.
 */
public final class OwnedMeters implements AutoCloseable {

  private static final Map<MeterRegistry, Set<String>> CLAIMS = new WeakHashMap<>();

  private final MeterRegistry registry;
  private final String claim;
  private final boolean claimed;
  private final List<Meter> meters = new ArrayList<>();
  private boolean closed;

  private OwnedMeters(MeterRegistry registry, String claim, boolean claimed) {
    this.registry = registry;
    this.claim = claim;
    this.claimed = claimed;
  }

  /**
   * Claims {@code name} on {@code registry} for a component of {@code kind} ("cache", "circuit
   * breaker", ...).
   *
   * @throws IllegalStateException "{kind} named '{name}' is already registered on this meter
   *     registry; close it first or choose another name" when such a component is open there
   */
  public static OwnedMeters claim(MeterRegistry registry, String kind, String name) {
    Checks.requireNonNull(registry, "registry");
    String claim = kind + '\n' + name;
    if (registry == Telemetry.none().meterRegistry()) {
      return new OwnedMeters(registry, claim, false);
    }
    synchronized (CLAIMS) {
      if (!CLAIMS.computeIfAbsent(registry, r -> new HashSet<>()).add(claim)) {
        throw new IllegalStateException(kind + " named '" + name
            + "' is already registered on this meter registry; close it first or choose another name");
      }
    }
    return new OwnedMeters(registry, claim, true);
  }

  /** The registry the meters live in. */
  public MeterRegistry registry() {
    return registry;
  }

  /** Whether meters are recorded at all (false for {@link Telemetry#none()}). */
  public boolean enabled() {
    return claimed;
  }

  /** Keeps {@code meter} to remove it on close; returns it. */
  public synchronized <M extends Meter> M add(M meter) {
    meters.add(meter);
    return meter;
  }

  /** Removes every meter added and gives the name back. */
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
          names.remove(claim);
          if (names.isEmpty()) {
            CLAIMS.remove(registry);
          }
        }
      }
    }
  }
}
