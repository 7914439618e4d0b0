package dev.scaleblocks.core.redis;

import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import dev.scaleblocks.core.internal.redis.JedisBackend;
import java.util.List;
import org.jspecify.annotations.Nullable;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.commands.JedisBinaryCommands;

/**
 * Runs {@link RedisScript}s with {@code EVALSHA}, one round trip per call. When a server does not
 * know the script (first use, a restart, {@code SCRIPT FLUSH}, a failover, a Cluster node that
 * never saw it) the {@code NOSCRIPT} reply is answered with one {@code EVAL} of the source, which
 * runs the script and leaves it cached on that node; later calls are {@code EVALSHA} again.
 *
 * <p>Works on any {@link UnifiedJedis}: standalone ({@code RedisClient}, {@code JedisPooled}) and
 * Cluster ({@code RedisClusterClient}, {@code JedisCluster}). On a Cluster the call is routed by
 * its keys, which must therefore share one hash slot: give multi-key scripts keys with the same
 * {@code {hash tag}}.
 *
 * <p>Thread-safe, as thread-safe as the client it wraps (Jedis' pooled and cluster clients are).
 * Errors from Redis or the connection are thrown as Jedis throws them.
 *
 * <p>The blocks themselves run scripts through core's internal Redis backend contract, which
 * also has a Lettuce implementation; this class is its Jedis form for direct users, and shares
 * its {@code NOSCRIPT} handling.
 */
public final class ScriptRunner {

  private final UnifiedJedis jedis;

  public ScriptRunner(UnifiedJedis jedis) {
    this.jedis = requireNonNull(jedis, "jedis");
  }

  /** The client calls go through. */
  public UnifiedJedis client() {
    return jedis;
  }

  /** Runs {@code script} with string keys and arguments; returns the Lua reply as Jedis maps it. */
  public @Nullable Object eval(RedisScript script, List<String> keys, List<String> args) {
    return JedisBackend.evalStrings(jedis, script, keys, args);
  }

  /** Runs {@code script} with binary keys and arguments; bulk replies come back as {@code byte[]}. */
  public @Nullable Object evalBinary(RedisScript script, List<byte[]> keys, List<byte[]> args) {
    return evalBinary(jedis, script, keys, args);
  }

  /**
   * Runs {@code script} as {@link #evalBinary(RedisScript, List, List)} does, on {@code commands}:
   * for a caller that holds a connection of its own (a {@link redis.clients.jedis.Jedis} over a
   * borrowed connection, say) rather than a pooled client.
   */
  public static @Nullable Object evalBinary(
      JedisBinaryCommands commands, RedisScript script, List<byte[]> keys, List<byte[]> args) {
    return JedisBackend.evalBinary(commands, script, keys, args);
  }
}
