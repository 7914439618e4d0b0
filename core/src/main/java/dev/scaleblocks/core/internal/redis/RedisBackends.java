package dev.scaleblocks.core.internal.redis;

import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;

/**
 * Makes the {@link RedisBackend} for a user's client: Jedis for a {@code UnifiedJedis} (standalone,
 * Cluster, Sentinel), Lettuce for a {@code RedisClient}, a {@code RedisClusterClient} or a {@code
 * byte[]} connection ({@code StatefulRedisConnection} / {@code StatefulRedisClusterConnection} with
 * {@code ByteArrayCodec}).
 *
 * <p>The client's type is recognised by name before any client class is touched, so neither
 * client library has to be on the class path unless its client is passed. A Lettuce client is
 * connected here (one shared connection; if Redis cannot be reached now, calls fail at once and
 * retry the connection in the background, see {@code LettuceBackend}); a Jedis client connects on
 * first use, as Jedis does.
 *
 * <p>Thread-safe (stateless).
 */
public final class RedisBackends {

  private static final String UNIFIED_JEDIS = "redis.clients.jedis.UnifiedJedis";
  private static final Set<String> LETTUCE = Set.of(
      "io.lettuce.core.RedisClient",
      "io.lettuce.core.cluster.RedisClusterClient",
      "io.lettuce.core.api.StatefulRedisConnection",
      "io.lettuce.core.cluster.api.StatefulRedisClusterConnection");

  private RedisBackends() {}

  /**
   * The backend for {@code client}: a Jedis {@code UnifiedJedis}, a Lettuce {@code RedisClient}
   * or {@code RedisClusterClient}, or a Lettuce {@code byte[]} connection.
   *
   * @throws IllegalArgumentException for any other object
   */
  public static RedisBackend of(Object client) {
    requireNonNull(client, "client");
    if (client instanceof RedisBackend backend) {
      return backend;
    }
    if (isA(client, UNIFIED_JEDIS)) {
      return Jedis.of(client);
    }
    for (String type : LETTUCE) {
      if (isA(client, type)) {
        return LettuceBackend.ofAny(client);
      }
    }
    throw new IllegalArgumentException("client must be a Jedis UnifiedJedis, a Lettuce "
        + "RedisClient or RedisClusterClient, or a Lettuce byte[] connection but was "
        + client.getClass().getName());
  }

  /** Whether {@code o}'s class is, extends or implements the type named {@code typeName}. */
  static boolean isA(Object o, String typeName) {
    Deque<Class<?>> todo = new ArrayDeque<>();
    Set<Class<?>> seen = new HashSet<>();
    todo.add(o.getClass());
    while (!todo.isEmpty()) {
      Class<?> c = todo.poll();
      if (!seen.add(c)) {
        continue;
      }
      if (c.getName().equals(typeName)) {
        return true;
      }
      Class<?> parent = c.getSuperclass();
      if (parent != null) {
        todo.add(parent);
      }
      for (Class<?> i : c.getInterfaces()) {
        todo.add(i);
      }
    }
    return false;
  }

  /** Keeps the Jedis type out of {@link RedisBackends}' own signatures and bodies. */
  private static final class Jedis {
    static RedisBackend of(Object client) {
      return new JedisBackend((redis.clients.jedis.UnifiedJedis) client);
    }

  }
}
