package dev.scaleblocks.sharding;

import org.jspecify.annotations.Nullable;

/**
 * A {@link ShardedDataSource} fan-out failed: the first shard callback that threw (its exception is
 * the cause), or the fan-out timed out or was interrupted. The other shards' work was cancelled.
 */
public final class FanOutException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final @Nullable String shard;

  FanOutException(String message, @Nullable String shard, @Nullable Throwable cause) {
    super(message, cause);
    this.shard = shard;
  }

  /** The shard whose callback failed, or {@code null} for a timeout or interruption. */
  public @Nullable String shard() {
    return shard;
  }
}
