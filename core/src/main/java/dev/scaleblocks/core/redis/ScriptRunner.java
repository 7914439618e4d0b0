package dev.scaleblocks.core.redis;

import static dev.scaleblocks.core.internal.Checks.requireNoNulls;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.commands.JedisBinaryCommands;
import redis.clients.jedis.exceptions.JedisNoScriptException;

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
 */
public final class ScriptRunner {

  private static final Logger log = LoggerFactory.getLogger(ScriptRunner.class);

  private final UnifiedJedis jedis;

  public ScriptRunner(UnifiedJedis jedis) {
    this.jedis = requireNonNull(jedis, "jedis");
  }

  /** The client calls go through. */
  public UnifiedJedis client() {
    return jedis;
  }

  /** Runs {@code script} with string keys and arguments; returns the Lua reply as Jedis maps it. */
  public Object eval(RedisScript script, List<String> keys, List<String> args) {
    requireNonNull(script, "script");
    requireNoNulls(keys, "keys");
    requireNoNulls(args, "args");
    try {
      return jedis.evalsha(script.sha1(), keys, args);
    } catch (JedisNoScriptException e) {
      log.debug("script {} not cached on the server, sending its source", script.name());
      return jedis.eval(script.source(), keys, args);
    }
  }

  /** Runs {@code script} with binary keys and arguments; bulk replies come back as {@code byte[]}. */
  public Object evalBinary(RedisScript script, List<byte[]> keys, List<byte[]> args) {
    return evalBinary(jedis, script, keys, args);
  }

  /**
   * Runs {@code script} as {@link #evalBinary(RedisScript, List, List)} does, on {@code commands}:
   * for a caller that holds a connection of its own (a {@link redis.clients.jedis.Jedis} over a
   * borrowed connection, say) rather than a pooled client.
   */
  public static Object evalBinary(
      JedisBinaryCommands commands, RedisScript script, List<byte[]> keys, List<byte[]> args) {
    requireNonNull(commands, "commands");
    requireNonNull(script, "script");
    requireNoNulls(keys, "keys");
    requireNoNulls(args, "args");
    try {
      return commands.evalsha(script.sha1().getBytes(UTF_8), keys, args);
    } catch (JedisNoScriptException e) {
      log.debug("script {} not cached on the server, sending its source", script.name());
      return commands.eval(script.source().getBytes(UTF_8), keys, args);
    }
  }
}
