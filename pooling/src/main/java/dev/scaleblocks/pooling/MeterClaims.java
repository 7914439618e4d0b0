package dev.scaleblocks.pooling;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Which pool and pool-group names have meters on which registry. A second pool or group with the
 * same name on the same registry would register the same meters, and closing either would remove
 * the other's: it is refused while the first is open.
 *
 * <p>Thread-safe: one monitor, held only for map updates (no I/O, no callbacks).
 */
final class MeterClaims {

  private static final Map<MeterRegistry, Map<String, Claim>> CLAIMS = new WeakHashMap<>();

  private MeterClaims() {}

  /** One name on one registry; {@link #acquire()} and {@link #release()} are idempotent. */
  static final class Claim {
    private final @Nullable MeterRegistry registry;
    private final String kind;
    private final String name;

    private Claim(@Nullable MeterRegistry registry, String kind, String name) {
      this.registry = registry;
      this.kind = kind;
      this.name = name;
    }

    /**
     * Takes the name.
     *
     * @throws IllegalStateException when another open component holds it
     */
    void acquire() {
      MeterRegistry r = registry;
      if (r == null) {
        return;
      }
      synchronized (CLAIMS) {
        Map<String, Claim> names = CLAIMS.computeIfAbsent(r, k -> new HashMap<>());
        Claim holder = names.putIfAbsent(kind + '\0' + name, this);
        if (holder != null && holder != this) {
          throw new IllegalStateException(
              kind
                  + " named '"
                  + name
                  + "' is already registered on this meter registry; close it first or choose another name");
        }
      }
    }

    /** Gives the name back, if this claim holds it. */
    void release() {
      MeterRegistry r = registry;
      if (r == null) {
        return;
      }
      synchronized (CLAIMS) {
        Map<String, Claim> names = CLAIMS.get(r);
        if (names != null) {
          names.remove(kind + '\0' + name, this);
          if (names.isEmpty()) {
            CLAIMS.remove(r);
          }
        }
      }
    }
  }

  /** A claim of {@code name} for {@code kind} ("pool", "pool group"); null registry: no meters, nothing to claim. */
  static Claim of(@Nullable MeterRegistry registry, String kind, String name) {
    return new Claim(registry, kind, name);
  }
}
