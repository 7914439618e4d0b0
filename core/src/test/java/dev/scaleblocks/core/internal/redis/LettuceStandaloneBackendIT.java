package dev.scaleblocks.core.internal.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scaleblocks.core.testing.TestServices;
import dev.scaleblocks.core.testing.ThrowawayRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The backend contract over Lettuce on the shared standalone Redis. */
class LettuceStandaloneBackendIT extends RedisBackendContract {

  private static RedisClient client;
  private static RedisBackend backend;
  private final List<RedisClient> throwaway = new ArrayList<>();

  @BeforeAll
  static void connect() {
    InetSocketAddress redis = TestServices.redis();
    client = RedisClient.create(RedisURI.create(redis.getHostString(), redis.getPort()));
    backend = RedisBackends.of(client);
  }

  @AfterAll
  static void close() {
    client.shutdown(0, 2, TimeUnit.SECONDS);
  }

  static RedisClient lettuceOn(ThrowawayRedis server, Duration timeout) {
    return RedisClient.create(RedisURI.builder().withHost(server.host()).withPort(server.port())
        .withTimeout(timeout).build());
  }

  @Override
  protected RedisBackend backend() {
    return backend;
  }

  @Override
  protected RedisBackend onThrowaway(ThrowawayRedis server, Duration timeout) {
    RedisClient c = lettuceOn(server, timeout);
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

  @Test
  void aConnectionOfTheUsersOwnIsUsedAsItIs() {
    try (StatefulRedisConnection<byte[], byte[]> connection = client.connect(ByteArrayCodec.INSTANCE)) {
      RedisBackend b = RedisBackends.of(connection);
      byte[] k = key("own");
      b.set(k, bytes("v"), Duration.ofMinutes(1));
      assertThat(b.get(k)).containsExactly(bytes("v"));
      assertThat(connection.isOpen()).isTrue();
    }
  }

  @Test
  void aBackendMadeWhileRedisIsDownFailsFastThenConnectsWhenItIsUp() throws Exception {
    ThrowawayRedis server = ThrowawayRedis.start();
    try {
      server.kill();
      RedisClient c = RedisClient.create(RedisURI.builder().withHost(server.host())
          .withPort(server.port()).withTimeout(Duration.ofSeconds(2)).build());
      try {
        RedisBackend b = RedisBackends.of(c); // made all the same
        byte[] k = key("later");
        long start = System.nanoTime();
        assertThatThrownBy(() -> b.get(k)).isInstanceOf(RedisConnectionException.class)
            .hasMessageStartingWith("not connected to Redis (yet)");
        assertThatThrownBy(() -> b.getAsync(k).get(10, TimeUnit.SECONDS))
            .hasCauseInstanceOf(RedisConnectionException.class);
        long failMillis = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("calls while unconnected failed after %d ms%n", failMillis);
        assertThat(failMillis).as("failed at once, not after a timeout").isLessThan(1_500);

        server.restart();
        start = System.nanoTime();
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
            .ignoreExceptions().until(() -> {
              b.set(k, bytes("v"), Duration.ofMinutes(1));
              return true;
            });
        System.out.printf("connected %d ms after the server came up%n",
            (System.nanoTime() - start) / 1_000_000);
        assertThat(b.get(k)).containsExactly(bytes("v"));
      } finally {
        c.shutdown(0, 2, TimeUnit.SECONDS);
      }
    } finally {
      server.close();
    }
  }
}
