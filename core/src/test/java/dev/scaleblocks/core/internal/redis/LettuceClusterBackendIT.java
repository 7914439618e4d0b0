package dev.scaleblocks.core.internal.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.testing.TestServices;
import dev.scaleblocks.core.testing.ThrowawayRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The backend contract over Lettuce on the shared 3-master Cluster (throw-away servers, standalone,
 * through a Lettuce standalone client).
 */
class LettuceClusterBackendIT extends RedisBackendContract {

  private static RedisClusterClient client;
  private static RedisBackend backend;
  private final List<RedisClient> throwaway = new ArrayList<>();

  @BeforeAll
  static void connect() {
    List<RedisURI> seeds = new ArrayList<>();
    for (InetSocketAddress node : TestServices.redisCluster()) {
      seeds.add(RedisURI.create(node.getHostString(), node.getPort()));
    }
    client = RedisClusterClient.create(seeds);
    backend = RedisBackends.of(client);
    assertThat(backend.cluster()).isTrue();
  }

  @AfterAll
  static void close() {
    client.shutdown(0, 2, TimeUnit.SECONDS);
  }

  @Override
  protected RedisBackend backend() {
    return backend;
  }

  @Override
  protected RedisBackend onThrowaway(ThrowawayRedis server, Duration timeout) {
    RedisClient c = LettuceStandaloneBackendIT.lettuceOn(server, timeout);
    throwaway.add(c);
    return RedisBackends.of(c);
  }

  @Override
  protected void closeThrowawayClients() {
    throwaway.forEach(c -> c.shutdown(0, 2, TimeUnit.SECONDS));
    throwaway.clear();
  }

  @Override
  protected boolean completesOnIoThread() {
    return true;
  }
}
