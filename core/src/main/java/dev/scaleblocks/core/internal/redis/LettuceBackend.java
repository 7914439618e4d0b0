package dev.scaleblocks.core.internal.redis;

import static dev.scaleblocks.core.internal.Checks.requireNoNulls;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import dev.scaleblocks.core.redis.RedisScript;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandInterruptedException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.output.CommandOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backend over Lettuce: one {@code byte[]} connection ({@link ByteArrayCodec}), shared by
 * every caller — Lettuce multiplexes concurrent commands over it — to a standalone Redis ({@link
 * RedisClient}) or a Cluster ({@link RedisClusterClient}, whose connection routes each command by
 * slot and splits MGET per slot itself), or a connection the user opened.
 *
 * <p>The asynchronous forms send and return; their futures complete on Lettuce's I/O thread, the
 * {@code NOSCRIPT} reload included (the {@code EVAL} is sent from there, without waiting). The
 * blocking forms wait for the same futures, at most the connection's timeout.
 *
 * <p>Only this class and its callers in this package name Lettuce types: it is loaded only when
 * a Lettuce client is passed, so users without Lettuce never need it.
 *
 * <p>Thread-safe. The connection this backend opens on a client is closed with the client ({@code
 * shutdown()}); one the user passes stays the user's.
 */
final class LettuceBackend implements RedisBackend {

  private static final Logger log = LoggerFactory.getLogger(LettuceBackend.class);

  private final StatefulConnection<byte[], byte[]> connection;
  private final RedisClusterAsyncCommands<byte[], byte[]> commands;
  private final boolean cluster;

  private LettuceBackend(StatefulConnection<byte[], byte[]> connection,
      RedisClusterAsyncCommands<byte[], byte[]> commands, boolean cluster) {
    this.connection = connection;
    this.commands = commands;
    this.cluster = cluster;
  }

  /** Connects {@code client} now (throws if Redis cannot be reached) and shares that connection. */
  static RedisBackend of(RedisClient client) {
    return of(requireNonNull(client, "client").connect(ByteArrayCodec.INSTANCE));
  }

  /** Connects {@code client} now (throws if no node can be reached) and shares that connection. */
  static RedisBackend of(RedisClusterClient client) {
    return of(requireNonNull(client, "client").connect(ByteArrayCodec.INSTANCE));
  }

  /** Over a connection the user opened with {@link ByteArrayCodec}; it stays the user's to close. */
  static RedisBackend of(StatefulRedisConnection<byte[], byte[]> connection) {
    requireNonNull(connection, "connection");
    return new LettuceBackend(connection, connection.async(), false);
  }

  /** Over a Cluster connection the user opened with {@link ByteArrayCodec}. */
  static RedisBackend of(StatefulRedisClusterConnection<byte[], byte[]> connection) {
    requireNonNull(connection, "connection");
    return new LettuceBackend(connection, connection.async(), true);
  }

  /** Dispatches on the Lettuce type of {@code client} (checked by the caller to be one of four). */
  @SuppressWarnings("unchecked")
  static RedisBackend ofAny(Object client) {
    if (client instanceof RedisClient c) {
      return of(c);
    }
    if (client instanceof RedisClusterClient c) {
      return of(c);
    }
    if (client instanceof StatefulRedisClusterConnection<?, ?> c) {
      return of((StatefulRedisClusterConnection<byte[], byte[]>) c);
    }
    if (client instanceof StatefulRedisConnection<?, ?> c) {
      return of((StatefulRedisConnection<byte[], byte[]>) c);
    }
    throw new IllegalArgumentException("client must be a Lettuce RedisClient, RedisClusterClient "
        + "or byte[] connection but was " + client.getClass().getName());
  }

  @Override
  public String client() {
    return "lettuce";
  }

  @Override
  public boolean cluster() {
    return cluster;
  }

  @Override
  public boolean nonBlocking() {
    return true;
  }

  @Override
  public @Nullable Object eval(RedisScript script, List<byte[]> keys, List<byte[]> args) {
    return await(evalAsync(script, keys, args));
  }

  @Override
  public CompletableFuture<@Nullable Object> evalAsync(
      RedisScript script, List<byte[]> keys, List<byte[]> args) {
    requireNonNull(script, "script");
    requireNoNulls(keys, "keys");
    requireNoNulls(args, "args");
    return script(CommandType.EVALSHA, script.sha1().getBytes(StandardCharsets.US_ASCII), keys, args)
        .exceptionallyCompose(e -> {
          Throwable cause = unwrap(e);
          if (cause instanceof RedisNoScriptException) {
            log.debug("script {} not cached on the server, sending its source", script.name());
            return script(CommandType.EVAL, script.source().getBytes(StandardCharsets.UTF_8), keys, args);
          }
          return CompletableFuture.failedFuture(cause);
        });
  }

  /**
   * EVALSHA or EVAL with the neutral reply output. Keys are added as keys, so a Cluster connection
   * routes the call by the first one.
   */
  private CompletableFuture<@Nullable Object> script(
      CommandType type, byte[] shaOrSource, List<byte[]> keys, List<byte[]> args) {
    CommandArgs<byte[], byte[]> a = new CommandArgs<>(ByteArrayCodec.INSTANCE)
        .add(shaOrSource)
        .add(keys.size());
    for (byte[] key : keys) {
      a.addKey(key);
    }
    for (byte[] arg : args) {
      a.addValue(arg);
    }
    CompletionStage<@Nullable Object> sent = commands.dispatch(type, new NeutralOutput(), a);
    return sent.toCompletableFuture();
  }

  @Override
  public byte @Nullable [] get(byte[] key) {
    return await(getAsync(key));
  }

  @Override
  public CompletableFuture<byte @Nullable []> getAsync(byte[] key) {
    return commands.get(requireNonNull(key, "key")).toCompletableFuture().thenApply(v -> v);
  }

  @Override
  public List<byte @Nullable []> mget(List<byte[]> keys) {
    return await(mgetAsync(keys));
  }

  @Override
  public CompletableFuture<List<byte @Nullable []>> mgetAsync(List<byte[]> keys) {
    requireNoNulls(keys, "keys");
    if (keys.isEmpty()) {
      return CompletableFuture.completedFuture(new ArrayList<>(0));
    }
    // on a Cluster connection, Lettuce's MGET splits by slot and reassembles in order
    return commands.mget(keys.toArray(new byte[0][])).toCompletableFuture().thenApply(kvs -> {
      List<byte @Nullable []> out = new ArrayList<>(kvs.size());
      for (KeyValue<byte[], byte[]> kv : kvs) {
        out.add(kv.hasValue() ? kv.getValue() : null);
      }
      return out;
    });
  }

  @Override
  public void set(byte[] key, byte[] value, Duration ttl) {
    await(setAsync(key, value, ttl));
  }

  @Override
  public CompletableFuture<@Nullable Void> setAsync(byte[] key, byte[] value, Duration ttl) {
    return commands.set(requireNonNull(key, "key"), requireNonNull(value, "value"),
        SetArgs.Builder.px(millis(ttl))).toCompletableFuture().thenApply(ok -> null);
  }

  @Override
  public boolean setIfAbsent(byte[] key, byte[] value, Duration ttl) {
    return await(setIfAbsentAsync(key, value, ttl));
  }

  @Override
  public CompletableFuture<Boolean> setIfAbsentAsync(byte[] key, byte[] value, Duration ttl) {
    return commands.set(requireNonNull(key, "key"), requireNonNull(value, "value"),
        SetArgs.Builder.nx().px(millis(ttl))).toCompletableFuture().thenApply(ok -> ok != null);
  }

  @Override
  public long publish(byte[] channel, byte[] message) {
    return await(publishAsync(channel, message));
  }

  @Override
  public CompletableFuture<Long> publishAsync(byte[] channel, byte[] message) {
    return commands.publish(requireNonNull(channel, "channel"), requireNonNull(message, "message"))
        .toCompletableFuture().thenApply(n -> n);
  }

  @Override
  public long timeMicros() {
    return await(timeMicrosAsync());
  }

  @Override
  public CompletableFuture<Long> timeMicrosAsync() {
    return commands.time().toCompletableFuture().thenApply(RedisReplies::timeMicros);
  }

  @Override
  public String toString() {
    return "LettuceBackend{" + (cluster ? "cluster}" : "standalone}");
  }

  /**
   * A script's reply in the neutral form: integers as {@code Long}, bulk and status strings as
   * {@code byte[]}, arrays as lists (nested), nil as {@code null}. (Lettuce's own OBJECT output
   * wraps a top-level scalar in a list, which a one-element array could not be told from.) RESP3
   * types a script can only return after {@code redis.setresp(3)} map to their nearest RESP2
   * form: a boolean to 1 or nil, a double and a big number to their text.
   */
  static final class NeutralOutput extends CommandOutput<byte[], byte[], @Nullable Object> {
    private final Deque<List<@Nullable Object>> open = new ArrayDeque<>();

    NeutralOutput() {
      super(ByteArrayCodec.INSTANCE, null);
    }

    private void add(@Nullable Object value) {
      List<@Nullable Object> parent = open.peek();
      if (parent == null) {
        output = value;
      } else {
        parent.add(value);
      }
    }

    private static byte @Nullable [] bytes(@Nullable ByteBuffer buffer) {
      if (buffer == null) {
        return null;
      }
      byte[] b = new byte[buffer.remaining()];
      buffer.get(b);
      return b;
    }

    @Override
    public void set(@Nullable ByteBuffer bytes) {
      add(bytes(bytes));
    }

    @Override
    public void setSingle(@Nullable ByteBuffer bytes) {
      add(bytes(bytes));
    }

    @Override
    public void setBigNumber(@Nullable ByteBuffer bytes) {
      add(bytes(bytes));
    }

    @Override
    public void set(long integer) {
      add(integer);
    }

    @Override
    public void set(double number) {
      add(Double.toString(number).getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public void set(boolean value) {
      add(value ? 1L : null);
    }

    @Override
    public void multi(int count) {
      List<@Nullable Object> list = new ArrayList<>(Math.max(count, 0));
      add(list);
      open.push(list);
    }

    @Override
    public void complete(int depth) {
      while (open.size() > depth) {
        open.pop();
      }
    }
  }

  private static long millis(Duration ttl) {
    requireNonNull(ttl, "ttl");
    long ms = ttl.toMillis();
    if (ms <= 0) {
      throw new IllegalArgumentException("ttl must be at least 1 ms but was " + ttl);
    }
    return ms;
  }

  /** Waits at most the connection's timeout; the future's exception thrown as it is. */
  private <T> T await(CompletableFuture<T> future) {
    Duration timeout = connection.getTimeout();
    try {
      return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      future.cancel(false);
      throw new RedisCommandTimeoutException("command timed out after " + timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      future.cancel(false);
      throw new RedisCommandInterruptedException(e);
    } catch (ExecutionException e) {
      Throwable cause = unwrap(e);
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new CompletionException(cause);
    }
  }

  private static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
