package dev.scaleblocks.cache;

import dev.scaleblocks.core.testing.ThrowawayRedis;
import io.lettuce.core.RedisClient;

/**
 * {@link OutageIT} over Lettuce: one multiplexed connection, each call's future bounded by the L2
 * timeout, through a paused (SIGSTOP), resumed, killed and restarted Redis.
 */
class LettuceOutageIT extends OutageIT {

  /** A Lettuce client that shuts down on close. */
  private record Closing(RedisClient client) implements AutoCloseable {
    @Override
    public void close() {
      LettuceClients.shutdown(client);
    }
  }

  @Override
  protected AutoCloseable connect(ThrowawayRedis redis) {
    return new Closing(LettuceClients.standalone(redis.host(), redis.port()));
  }

  @Override
  protected <K, V> TieredCacheBuilder<K, V> withClient(TieredCacheBuilder<K, V> builder, AutoCloseable client) {
    return builder.lettuce(((Closing) client).client());
  }
}
