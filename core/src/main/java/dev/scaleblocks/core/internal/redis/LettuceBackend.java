package dev.scaleblocks.core.internal.redis;

import static dev.scaleblocks.core.internal.Checks.requireNoNulls;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import dev.scaleblocks.core.redis.RedisScript;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandInterruptedException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.output.CommandOutput;
import io.lettuce.core.output.IntegerOutput;
import io.lettuce.core.output.ValueListOutput;
import io.lettuce.core.output.ValueOutput;
import io.lettuce.core.protocol.AsyncCommand;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.RedisCommand;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;
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
 * <p>On a client, the connection is opened when the backend is made. If Redis cannot be reached
 * then, the backend is made all the same: its calls fail at once ({@code RedisConnectionException},
 * the future failed, nothing waits) and start a new attempt, on a short-lived thread of its own
 * ({@code scaleblocks-lettuce-connect}), at most once a second while calls keep coming. Once
 * connected, Lettuce's own reconnection takes over.
 *
 * <p>On a {@link RedisClient} made on a {@code redis-sentinel://} URI, the backend also listens
 * to the sentinels ({@link LettuceSentinelWatch}): when they announce a new master, the
 * connection and the subscriptions made here are closed and made again, so they move within
 * milliseconds of the announcement instead of when the old master drops them (8–10 s after a
 * {@code SENTINEL FAILOVER}, when the sentinel demotes it; never, while a frozen master stays frozen).
 *
 * <p>Thread-safe. The connection this backend opens on a client is closed with the client ({@code
 * shutdown()}); one the user passes stays the user's.
 */
final class LettuceBackend implements RedisBackend {

  private static final Logger log = LoggerFactory.getLogger(LettuceBackend.class);

  private static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final Duration UNCONNECTED_TIMEOUT = Duration.ofMinutes(1);
  private static final ByteArrayCodec CODEC = ByteArrayCodec.INSTANCE;

  /** An open connection and its commands. */
  private record Connected(StatefulConnection<byte[], byte[]> connection,
      RedisClusterAsyncCommands<byte[], byte[]> commands) {}

  /** Opens the connection (blocking); null when the user passed the connection. */
  private final @Nullable Supplier<Connected> connector;
  /** The user's {@link RedisClient} or {@link RedisClusterClient}, for subscriptions; null over a connection. */
  private @Nullable Object client;
  private final boolean cluster;
  private volatile @Nullable Connected connected;
  /** Set by {@link #disconnect}: no new connection is attempted. */
  private volatile boolean closed;
  private final AtomicBoolean connecting = new AtomicBoolean();
  private volatile long nextAttemptAt;
  private volatile @Nullable String lastConnectError;
  /** On a {@code redis-sentinel://} client: hears failovers; null otherwise. */
  private volatile @Nullable LettuceSentinelWatch sentinelWatch;
  /** The subscriptions made on this backend's client, moved with the connection on a failover. */
  private final List<LettuceSubscription> subscriptions = new CopyOnWriteArrayList<>();

  private LettuceBackend(@Nullable Supplier<Connected> connector, @Nullable Connected connected,
      boolean cluster) {
    this.connector = connector;
    this.connected = connected;
    this.cluster = cluster;
  }

  /**
   * Connects {@code client} now, or later if Redis cannot be reached now (see the class comment).
   * On a {@code redis-sentinel://} URI it also watches the sentinels (see the class comment).
   */
  static RedisBackend of(RedisClient client) {
    requireNonNull(client, "client");
    LettuceBackend backend = connectingNow(() -> {
      StatefulRedisConnection<byte[], byte[]> c = client.connect(ByteArrayCodec.INSTANCE);
      return new Connected(c, c.async());
    }, false, client);
    backend.sentinelWatch = LettuceSentinelWatch.start(client, backend::masterMoved);
    return backend;
  }

  /** As {@link #of(RedisClient)}, to a Cluster. */
  static RedisBackend of(RedisClusterClient client) {
    requireNonNull(client, "client");
    return connectingNow(() -> {
      StatefulRedisClusterConnection<byte[], byte[]> c = client.connect(ByteArrayCodec.INSTANCE);
      return new Connected(c, c.async());
    }, true, client);
  }

  private static LettuceBackend connectingNow(Supplier<Connected> connector, boolean cluster,
      Object client) {
    LettuceBackend backend = new LettuceBackend(connector, null, cluster);
    backend.client = client;
    try {
      backend.connected = connector.get();
    } catch (RuntimeException e) {
      backend.lastConnectError = e.toString();
      backend.nextAttemptAt = System.nanoTime() + RETRY_NANOS;
      log.warn("cannot connect to Redis now ({}); calls fail until a later attempt connects", e.toString());
    }
    return backend;
  }

  /** Over a connection the user opened with {@link ByteArrayCodec}; it stays the user's to close. */
  static RedisBackend of(StatefulRedisConnection<byte[], byte[]> connection) {
    requireNonNull(connection, "connection");
    return new LettuceBackend(null, new Connected(connection, connection.async()), false);
  }

  /** Over a Cluster connection the user opened with {@link ByteArrayCodec}. */
  static RedisBackend of(StatefulRedisClusterConnection<byte[], byte[]> connection) {
    requireNonNull(connection, "connection");
    return new LettuceBackend(null, new Connected(connection, connection.async()), true);
  }

  /**
   * The connected commands, or a {@code RedisConnectionException} at once (after starting a new
   * attempt to connect, at most one at a time and one a second).
   */
  private RedisClusterAsyncCommands<byte[], byte[]> commands() {
    Connected c = connected;
    if (c != null) {
      return c.commands();
    }
    connectLater();
    throw new RedisConnectionException("not connected to Redis (yet): " + lastConnectError);
  }

  private void connectLater() {
    Supplier<Connected> connect = connector;
    if (connect == null || closed || System.nanoTime() - nextAttemptAt < 0
        || !connecting.compareAndSet(false, true)) {
      return;
    }
    Thread attempt = new Thread(() -> {
      try {
        if (connected == null && !closed) {
          connected = connect.get();
          log.info("connected to Redis");
        }
      } catch (RuntimeException e) {
        lastConnectError = e.toString();
        log.debug("cannot connect to Redis yet", e);
      } finally {
        nextAttemptAt = System.nanoTime() + RETRY_NANOS;
        connecting.set(false);
      }
    }, "scaleblocks-lettuce-connect");
    attempt.setDaemon(true);
    attempt.start();
  }

  private static <T> CompletableFuture<T> failed(RuntimeException e) {
    return CompletableFuture.failedFuture(e);
  }

  /**
   * {@code send} on the connected commands (Lettuce's own future: callers map it into one of
   * their own, so a caller's {@code cancel} never reaches the command), or a failed future when
   * not connected.
   */
  private <T> CompletableFuture<T> call(
      Function<RedisClusterAsyncCommands<byte[], byte[]>, CompletionStage<T>> send) {
    RedisClusterAsyncCommands<byte[], byte[]> c;
    try {
      c = commands();
    } catch (RuntimeException e) {
      return failed(e);
    }
    return send.apply(c).toCompletableFuture();
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
  public int slot(byte[] key) {
    return cluster ? SlotHash.getSlot(key) : 0;
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
    RedisClusterAsyncCommands<byte[], byte[]> c;
    try {
      c = commands();
    } catch (RuntimeException e) {
      return failed(e);
    }
    CompletionStage<@Nullable Object> sent = c.dispatch(type, new NeutralOutput(), a);
    return sent.toCompletableFuture();
  }

  @Override
  public byte @Nullable [] get(byte[] key) {
    return await(getAsync(key));
  }

  @Override
  public CompletableFuture<byte @Nullable []> getAsync(byte[] key) {
    requireNonNull(key, "key");
    return call(c -> c.get(key)).thenApply(v -> v);
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
    byte[][] k = keys.toArray(new byte[0][]);
    return call(c -> c.mget(k)).thenApply(kvs -> {
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
    requireNonNull(key, "key");
    requireNonNull(value, "value");
    SetArgs px = SetArgs.Builder.px(millis(ttl));
    return call(c -> c.set(key, value, px)).thenApply(ok -> null);
  }

  @Override
  public boolean setIfAbsent(byte[] key, byte[] value, Duration ttl) {
    return await(setIfAbsentAsync(key, value, ttl));
  }

  @Override
  public CompletableFuture<Boolean> setIfAbsentAsync(byte[] key, byte[] value, Duration ttl) {
    requireNonNull(key, "key");
    requireNonNull(value, "value");
    SetArgs nxPx = SetArgs.Builder.nx().px(millis(ttl));
    return call(c -> c.set(key, value, nxPx)).thenApply(ok -> ok != null);
  }

  @Override
  public long publish(byte[] channel, byte[] message) {
    return await(publishAsync(channel, message));
  }

  @Override
  public CompletableFuture<Long> publishAsync(byte[] channel, byte[] message) {
    requireNonNull(channel, "channel");
    requireNonNull(message, "message");
    return call(c -> c.publish(channel, message)).thenApply(n -> n);
  }

  @Override
  public ValueTtl getWithTtl(byte[] key) {
    return await(getWithTtlAsync(key));
  }

  @Override
  public CompletableFuture<ValueTtl> getWithTtlAsync(byte[] key) {
    requireNonNull(key, "key");
    return onConnection(c -> {
      AsyncCommand<byte[], byte[], byte[]> value = keyCommand(CommandType.GET, new ValueOutput<>(CODEC), key);
      AsyncCommand<byte[], byte[], Long> ttl = keyCommand(CommandType.PTTL, new IntegerOutput<>(CODEC), key);
      send(c, List.<RedisCommand<byte[], byte[], ?>>of(value, ttl));
      return value.thenCombine(ttl, (v, t) -> v == null ? ValueTtl.ABSENT : new ValueTtl(v, t));
    });
  }

  @Override
  public List<ValueTtl> mgetWithTtl(List<byte[]> keys) {
    return await(mgetWithTtlAsync(keys));
  }

  @Override
  public CompletableFuture<List<ValueTtl>> mgetWithTtlAsync(List<byte[]> keys) {
    requireNoNulls(keys, "keys");
    if (keys.isEmpty()) {
      return CompletableFuture.completedFuture(new ArrayList<>(0));
    }
    return onConnection(c -> {
      int n = keys.size();
      List<RedisCommand<byte[], byte[], ?>> batch = new ArrayList<>(cluster ? 2 * n : n + 1);
      List<AsyncCommand<byte[], byte[], Long>> ttls = new ArrayList<>(n);
      CompletableFuture<List<byte @Nullable []>> values;
      if (cluster) {
        // GET and PTTL per key (an MGET may not span slots); the connection sends each node its share
        List<AsyncCommand<byte[], byte[], byte[]>> gets = new ArrayList<>(n);
        for (byte[] key : keys) {
          AsyncCommand<byte[], byte[], byte[]> get = keyCommand(CommandType.GET, new ValueOutput<>(CODEC), key);
          AsyncCommand<byte[], byte[], Long> ttl = keyCommand(CommandType.PTTL, new IntegerOutput<>(CODEC), key);
          gets.add(get);
          ttls.add(ttl);
          batch.add(get);
          batch.add(ttl);
        }
        values = CompletableFuture.allOf(gets.toArray(new CompletableFuture<?>[0])).thenApply(done -> {
          List<byte @Nullable []> out = new ArrayList<>(n);
          for (AsyncCommand<byte[], byte[], byte[]> get : gets) {
            out.add(get.join());
          }
          return out;
        });
      } else {
        CommandArgs<byte[], byte[]> args = new CommandArgs<>(CODEC);
        for (byte[] key : keys) {
          args.addKey(key);
        }
        AsyncCommand<byte[], byte[], List<byte @Nullable []>> mget =
            new AsyncCommand<>(new Command<>(CommandType.MGET, new ValueListOutput<>(CODEC), args));
        batch.add(mget);
        for (byte[] key : keys) {
          AsyncCommand<byte[], byte[], Long> ttl = keyCommand(CommandType.PTTL, new IntegerOutput<>(CODEC), key);
          ttls.add(ttl);
          batch.add(ttl);
        }
        values = mget;
      }
      send(c, batch);
      return CompletableFuture.allOf(batch.toArray(new CompletableFuture<?>[0])).thenCompose(done -> values)
          .thenApply(vs -> {
            List<ValueTtl> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
              byte[] v = vs.get(i);
              out.add(v == null ? ValueTtl.ABSENT : new ValueTtl(v, ttls.get(i).join()));
            }
            return out;
          });
    });
  }

  /**
   * Sends {@code batch}, every command before any answer comes. On a standalone connection the
   * batch is handed over at once (one write, where one command at a time is one write each); a
   * Cluster connection takes them one by one, because its batch form looks up node connections
   * synchronously, which may block the caller (an event loop, for {@code getAsync}).
   */
  private void send(StatefulConnection<byte[], byte[]> c, List<RedisCommand<byte[], byte[], ?>> batch) {
    if (cluster) {
      for (RedisCommand<byte[], byte[], ?> command : batch) {
        c.dispatch(command);
      }
    } else {
      c.dispatch(batch);
    }
  }

  /** A one-key command, not yet sent. */
  private static <T> AsyncCommand<byte[], byte[], T> keyCommand(
      CommandType type, CommandOutput<byte[], byte[], T> output, byte[] key) {
    return new AsyncCommand<>(new Command<>(type, output, new CommandArgs<>(CODEC).addKey(key)));
  }

  /**
   * {@code send} on the connected connection (commands it dispatches itself, as {@link
   * AsyncCommand}s it maps into a future of its own), or a failed future when not connected.
   */
  private <T> CompletableFuture<T> onConnection(
      Function<StatefulConnection<byte[], byte[]>, CompletableFuture<T>> send) {
    Connected c = connected;
    if (c == null) {
      try {
        commands(); // starts a new attempt to connect and throws
      } catch (RuntimeException e) {
        return failed(e);
      }
      c = java.util.Objects.requireNonNull(connected);
    }
    return send.apply(c.connection());
  }

  @Override
  public long del(List<byte[]> keys) {
    return await(delAsync(keys));
  }

  @Override
  public CompletableFuture<Long> delAsync(List<byte[]> keys) {
    requireNoNulls(keys, "keys");
    if (keys.isEmpty()) {
      return CompletableFuture.completedFuture(0L);
    }
    // on a Cluster connection, Lettuce's DEL splits by slot and sums
    byte[][] k = keys.toArray(new byte[0][]);
    return call(c -> c.del(k)).thenApply(n -> n);
  }

  @Override
  public long deleteMatching(byte[] pattern) {
    return await(deleteMatchingAsync(pattern));
  }

  @Override
  public CompletableFuture<Long> deleteMatchingAsync(byte[] pattern) {
    requireNonNull(pattern, "pattern");
    ScanArgs args = ScanArgs.Builder.limit(500).match(pattern);
    // on a Cluster connection, Lettuce's SCAN walks every master in turn
    return call(c -> scanPage(c, c.scan(ScanCursor.INITIAL, args), args, 0L));
  }

  private static CompletableFuture<Long> scanPage(RedisClusterAsyncCommands<byte[], byte[]> c,
      RedisFuture<KeyScanCursor<byte[]>> page, ScanArgs args, long deletedSoFar) {
    return page.toCompletableFuture().thenCompose(cursor -> {
      List<byte[]> keys = cursor.getKeys();
      CompletableFuture<Long> deleted = keys.isEmpty()
          ? CompletableFuture.completedFuture(0L)
          : c.del(keys.toArray(new byte[0][])).toCompletableFuture();
      return deleted.thenCompose(n -> cursor.isFinished()
          ? CompletableFuture.completedFuture(deletedSoFar + n)
          : scanPage(c, c.scan(cursor, args), args, deletedSoFar + n));
    });
  }

  @Override
  public long publishSharded(byte[] channel, byte[] message) {
    return await(publishShardedAsync(channel, message));
  }

  @Override
  public CompletableFuture<Long> publishShardedAsync(byte[] channel, byte[] message) {
    requireNonNull(channel, "channel");
    requireNonNull(message, "message");
    return call(c -> cluster ? c.spublish(channel, message) : c.publish(channel, message))
        .thenApply(n -> n);
  }

  @Override
  public Subscription subscribe(byte[] channel, SubscriptionListener listener) {
    requireNonNull(channel, "channel");
    requireNonNull(listener, "listener");
    Object c = client;
    if (c == null) {
      throw new UnsupportedOperationException(
          "subscribe needs a RedisClient or RedisClusterClient, not a connection");
    }
    LettuceSubscription s = LettuceSubscription.start(c, channel.clone(), listener);
    if (sentinelWatch != null) {
      subscriptions.add(s);
    }
    return s;
  }

  /**
   * The sentinels announced a new master: the connection (still open to the old master, which may
   * go on taking writes or be frozen) is closed and made again, which resolves the new master;
   * calls fail at once until it is, as while not connected. Subscriptions are remade too. Runs on
   * Lettuce's I/O thread: nothing here waits.
   */
  @SuppressWarnings("FutureReturnValueIgnored") // its outcome is logged here
  private void masterMoved() {
    Connected c = connected;
    if (connector != null && c != null && !closed) {
      connected = null;
      lastConnectError = "the master moved";
      c.connection().closeAsync().whenComplete((ok, e) -> {
        if (e != null) {
          log.debug("closing the connection to the old master failed: {}", e.toString());
        }
      });
      nextAttemptAt = System.nanoTime();
      connectLater();
    }
    subscriptions.removeIf(LettuceSubscription::isClosed);
    for (LettuceSubscription s : subscriptions) {
      s.reconnect();
    }
  }

  @Override
  public boolean connectedNow() {
    Connected c = connected;
    return c != null && c.connection().isOpen();
  }

  @Override
  @SuppressWarnings("FutureReturnValueIgnored") // its outcome is logged here
  public void disconnect() {
    if (connector == null) {
      return; // the user's connection
    }
    closed = true;
    LettuceSentinelWatch watch = sentinelWatch;
    if (watch != null) {
      watch.close();
    }
    Connected c = connected;
    connected = null;
    if (c != null) {
      c.connection().closeAsync().whenComplete((ok, e) -> {
        if (e != null) {
          log.debug("closing the connection failed: {}", e.toString());
        }
      });
    }
  }

  @Override
  public long timeMicros() {
    return await(timeMicrosAsync());
  }

  @Override
  public CompletableFuture<Long> timeMicrosAsync() {
    return call(RedisClusterAsyncCommands::time).thenApply(RedisReplies::timeMicros);
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
    Connected c = connected;
    Duration timeout = c != null ? c.connection().getTimeout() : UNCONNECTED_TIMEOUT;
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
