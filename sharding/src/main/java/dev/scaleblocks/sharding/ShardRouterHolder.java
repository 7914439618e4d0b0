package dev.scaleblocks.sharding;

import dev.scaleblocks.core.internal.Checks;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

/**
 * Holds the current {@link ShardRouter} and swaps it atomically: readers always see one whole
 * router, old or new, never a mix. Routing through the holder costs one volatile read.
 *
 * {@snippet :
 * ShardRouterHolder<DataSource> routers = ShardRouterHolder.of(router);
 * RebalancePlan plan = RebalancePlan.between(routers.current(), routers.current().withShard("db-d", dsD));
 * // ... copy the rows the plan moves, then:
 * routers.update(r -> r.withShard("db-d", dsD));
 * }
 *
 * <p>Thread-safe. {@link #update} may run its function more than once under contention, so the
 * function must be free of side effects.
 *
 * @param <S> the shard handle type
 */
public final class ShardRouterHolder<S> {

  private final AtomicReference<ShardRouter<S>> current;

  private ShardRouterHolder(ShardRouter<S> router) {
    this.current = new AtomicReference<>(router);
  }

  /** A holder starting with {@code router}. */
  public static <S> ShardRouterHolder<S> of(ShardRouter<S> router) {
    return new ShardRouterHolder<>(Checks.requireNonNull(router, "router"));
  }

  /** The router now in force. */
  @SuppressWarnings("NullAway") // the reference only ever holds non-null routers (checked on entry)
  public ShardRouter<S> current() {
    return current.get();
  }

  /** Replaces the router; returns the previous one. */
  public ShardRouter<S> set(ShardRouter<S> router) {
    return current.getAndSet(Checks.requireNonNull(router, "router"));
  }

  /** Atomically replaces the router with {@code change(current)}; returns the new router. */
  public ShardRouter<S> update(UnaryOperator<ShardRouter<S>> change) {
    Checks.requireNonNull(change, "change");
    return current.updateAndGet(r -> Checks.requireNonNull(change.apply(r), "changed router"));
  }

  /** {@code current().route(key)}. */
  public S route(String key) {
    return current().route(key);
  }

  /** {@code current().route(key)}. */
  public S route(long key) {
    return current().route(key);
  }

  /** {@code current().route(key)}. */
  public S route(byte[] key) {
    return current().route(key);
  }
}
