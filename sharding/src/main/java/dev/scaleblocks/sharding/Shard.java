package dev.scaleblocks.sharding;

import dev.scaleblocks.core.internal.Checks;

/**
 * One named shard of a {@link ShardRouter}: its unique name, the caller's handle (a
 * {@code DataSource}, a host, anything) and its relative weight.
 *
 * <p>Immutable and thread-safe when the handle is.
 *
 * @param name unique, non-empty; for ketama compatibility with memcached clients this is the
 *     server's {@code host:port}
 * @param handle what {@link ShardRouter#route(String)} returns for this shard
 * @param weight relative capacity, positive and finite; 1 for an ordinary shard
 * @param <S> the handle type
 */
public record Shard<S>(String name, S handle, double weight) {

  /** Checks every component. */
  public Shard {
    Checks.requireNonEmpty(name, "name");
    Checks.requireNonNull(handle, "handle");
    if (!(weight > 0) || Double.isInfinite(weight)) {
      throw new IllegalArgumentException(
          "weight of shard '" + name + "' must be positive and finite but was " + weight);
    }
  }
}
