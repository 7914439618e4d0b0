package dev.scaleblocks.core.internal.redis;

import static dev.scaleblocks.core.internal.Checks.requireNoNulls;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import dev.scaleblocks.core.redis.RedisScript;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisAskDataException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisMovedDataException;
import redis.clients.jedis.exceptions.JedisNoScriptException;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * A backend over a Jedis {@code RedisClient} or {@code RedisClusterClient} that writes the
 * scripts and {@code GET}s of concurrent callers to each Redis node as one pipeline, on a
 * connection of its own, instead of giving each caller a pooled connection and a round trip.
 *
 * <h2>How it works: a group commit per node, on a dedicated connection</h2>
 *
 * <p>Each Redis node (the server of a standalone client; each master of a Cluster, found from
 * the slot of a call's first key) has a bounded queue, at most one flusher thread and one
 * connection. That connection is made by the client's connection factory for that node (so it
 * has the client's address, credentials, TLS and timeouts) but it is <em>never</em> in the
 * client's pool: no other code ever writes to it or reads from it, and only the node's flusher
 * thread does. A caller queues its command with a {@link CompletableFuture} and wakes the flusher;
 * the flusher takes everything queued (at most {@value #MAX_BATCH} commands), writes it, reads
 * exactly as many replies, and completes each future with its own reply, in order. While one
 * batch is on the wire the next one queues: the busier the node, the larger the batches, with no
 * timer and no delay added for a lone caller. A flusher idle for {@value #IDLE_SECONDS} s closes
 * its connection and ends; the next call starts a new one.
 *
 * <p>Queued: scripts, {@code GET}, a {@code GET} with the {@code PTTL} of its key (the two ride the
 * same batch and answer as one; a bulk read is one such pair per key, each on the node that owns
 * it) and {@code SET ... PX}. Everything else (MGET, SET NX, DEL, SCAN, PUBLISH, TIME, subscriptions) passes
 * straight to a plain {@link JedisBackend} on the same client, with its pooled connections, which
 * the flusher never touches: pass-through calls and queued calls cannot share a connection, so
 * their replies cannot cross.
 *
 * <h2>Exactly once</h2>
 *
 * <p>A command is written at most once, except for entries Redis refused without running them,
 * which are sent again, alone of their batch:
 *
 * <ul>
 *   <li>{@code NOSCRIPT}: the entry is sent again as {@code EVAL} of the source, right after the
 *       batch, on the same connection (which runs it and caches the script on that node);
 *   <li>{@code MOVED} (Cluster): the slot map is corrected and the entry is queued on the node
 *       named in the reply;
 *   <li>{@code ASK} (Cluster, a slot being migrated): the entry is queued on the node named in
 *       the reply, to be sent there after {@code ASKING}; the slot map is left as it is.
 * </ul>
 *
 * <p>An entry redirected more than {@value #MAX_REDIRECTS} times fails with the last reply. Any
 * other error reply fails its own entry only. A connection that fails with a batch on the wire
 * (killed server, socket timeout, broken stream) fails every entry not yet answered with that
 * exception, and is closed, never reused: some of those commands may have run, and a retry could
 * count a decision twice. The next batch opens a new connection.
 *
 * <h2>Overload</h2>
 *
 * <p>Each node's queue holds at most {@code queueCapacity} commands (default {@value
 * #DEFAULT_QUEUE_CAPACITY}). A call that finds it full is refused at once, never sent, with a
 * {@link RejectedExecutionException} (thrown by the blocking forms, failing the future of the
 * asynchronous ones): this client is busy, Redis may well be fine.
 *
 * <h2>Threads and cost</h2>
 *
 * <p>The asynchronous forms of the queued calls never block: the future completes on the node's
 * flusher thread ({@code scaleblocks-redis-flusher-<node>}), where dependent stages without an
 * executor also run, so those must be short and must not block ({@link #nonBlocking()} is {@code
 * true}). The blocking forms park until the flusher completes their future; how long is bounded by
 * the client's socket timeout for each batch. Thread-safe. Cost per queued call: a queue insertion,
 * a future, a wake-up of the flusher when it is parked, and of the caller when it waits; per
 * batch, one write and one read on the node's connection. Holds one connection and one daemon
 * thread per busy node, both released after {@value #IDLE_SECONDS} s without calls and by {@link
 * #disconnect()}, after which queued calls are refused.
 *
 * <p>Sentinel clients are not supported (the master's connection cannot be made apart from the
 * client's pool): {@link #of} refuses them.
 */
public final class CoalescingJedisBackend implements RedisBackend {

  /** Most commands written in one batch. */
  static final int MAX_BATCH = 256;

  /** Default bound of commands waiting for one node's flusher. */
  public static final int DEFAULT_QUEUE_CAPACITY = 4096;

  private static final int IDLE_SECONDS = 10;
  private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(IDLE_SECONDS);
  private static final int SLOTS = 16384;
  private static final int MAX_REDIRECTS = 5;
  private static final byte[][] NO_ARGS = new byte[0][];
  private static final byte[] PX = "PX".getBytes(US_ASCII);

  private static final Logger log = LoggerFactory.getLogger(CoalescingJedisBackend.class);

  private final UnifiedJedis jedis;
  private final JedisBackend direct;
  private final @Nullable ClusterAccess cluster;
  private final int queueCapacity;
  /** The one node of a standalone client; null on a Cluster. */
  private final @Nullable Node single;
  private final AtomicReferenceArray<@Nullable Node> bySlot;
  private final ConcurrentHashMap<String, Node> nodes = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private final LongAdder batches = new LongAdder();
  private final LongAdder commands = new LongAdder();
  private final LongAccumulator largestBatch = new LongAccumulator(Math::max, 0);

  private CoalescingJedisBackend(UnifiedJedis jedis, @Nullable ClusterAccess cluster,
      @Nullable ConnectionSource standalone, int queueCapacity) {
    this.jedis = jedis;
    this.direct = new JedisBackend(jedis);
    this.cluster = cluster;
    this.queueCapacity = queueCapacity;
    this.single = standalone != null ? new Node("standalone", standalone) : null;
    this.bySlot = new AtomicReferenceArray<>(cluster == null ? 0 : SLOTS);
  }

  /**
   * A coalescing backend over {@code jedis} ({@code RedisClient}, {@code RedisClusterClient} or
   * {@code JedisCluster}), at most {@code queueCapacity} commands waiting per node.
   *
   * @throws IllegalArgumentException for any other client (Sentinel included), or a capacity
   *     below 1
   */
  @SuppressWarnings("deprecation") // JedisCluster: deprecated for RedisClusterClient, still in use
  public static CoalescingJedisBackend of(UnifiedJedis jedis, int queueCapacity) {
    requireNonNull(jedis, "jedis");
    if (queueCapacity < 1) {
      throw new IllegalArgumentException("queueCapacity must be positive but was " + queueCapacity);
    }
    if (jedis instanceof redis.clients.jedis.RedisClient rc) {
      return new CoalescingJedisBackend(jedis, null, () -> make(rc.getPool()), queueCapacity);
    }
    if (jedis instanceof RedisClusterClient c) {
      return new CoalescingJedisBackend(jedis, new ClusterAccess(c::getConnectionFromSlot,
          name -> c.getClusterNodes().get(name), c::refreshClusterTopology), null, queueCapacity);
    }
    if (jedis instanceof JedisCluster c) {
      return new CoalescingJedisBackend(jedis, new ClusterAccess(c::getConnectionFromSlot,
          name -> c.getClusterNodes().get(name), c::refreshClusterTopology), null, queueCapacity);
    }
    throw new IllegalArgumentException("coalescing needs a Jedis RedisClient or RedisClusterClient "
        + "but the client was a " + jedis.getClass().getName());
  }

  /**
   * Whether {@link #of} takes {@code jedis}: a {@code RedisClient}, {@code RedisClusterClient} or
   * {@code JedisCluster}, not a Sentinel client nor any other.
   */
  @SuppressWarnings("deprecation") // JedisCluster: deprecated for RedisClusterClient, still in use
  public static boolean supports(UnifiedJedis jedis) {
    return jedis instanceof redis.clients.jedis.RedisClient || jedis instanceof RedisClusterClient
        || jedis instanceof JedisCluster;
  }

  /** A new connection by {@code pool}'s factory, never in the pool itself. */
  private static Connection make(redis.clients.jedis.util.Pool<Connection> pool) {
    try {
      return pool.getFactory().makeObject().getObject();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new JedisException("could not open a connection: " + e, e);
    }
  }

  /** How many batches have been written (NOSCRIPT re-sends not counted apart). */
  public long batches() {
    return batches.sum();
  }

  /** How many commands those batches carried. */
  public long commands() {
    return commands.sum();
  }

  /** The most commands one batch carried so far. */
  public long largestBatch() {
    return largestBatch.get();
  }

  @Override
  public String client() {
    return "jedis";
  }

  @Override
  public boolean cluster() {
    return cluster != null;
  }

  @Override
  public boolean nonBlocking() {
    return true;
  }

  // ---- queued

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
    byte[][] tail = new byte[1 + keys.size() + args.size()][];
    tail[0] = Long.toString(keys.size()).getBytes(US_ASCII);
    int i = 1;
    for (byte[] k : keys) {
      tail[i++] = k;
    }
    for (byte[] a : args) {
      tail[i++] = a;
    }
    return submit(new Call(keys.isEmpty() ? 0 : slot(keys.get(0)), Protocol.Command.EVALSHA,
        script.sha1().getBytes(UTF_8), tail, script.source().getBytes(UTF_8)));
  }

  @Override
  public byte @Nullable [] get(byte[] key) {
    return await(getAsync(key));
  }

  @Override
  public CompletableFuture<byte @Nullable []> getAsync(byte[] key) {
    requireNonNull(key, "key");
    return submit(new Call(slot(key), Protocol.Command.GET, key, NO_ARGS, null))
        .thenApply(raw -> (byte[]) raw);
  }

  @Override
  public ValueTtl getWithTtl(byte[] key) {
    return await(getWithTtlAsync(key));
  }

  /** {@code GET} and {@code PTTL} of {@code key}, queued together: both ride the same batch. */
  @Override
  public CompletableFuture<ValueTtl> getWithTtlAsync(byte[] key) {
    requireNonNull(key, "key");
    return submit(Call.readWithTtl(slot(key), key)).thenApply(v -> (ValueTtl) requireNonNull(v, "read"));
  }

  @Override
  public List<ValueTtl> mgetWithTtl(List<byte[]> keys) {
    return await(mgetWithTtlAsync(keys));
  }

  /**
   * Each key's {@code GET} and {@code PTTL} queued on the node that owns it (no {@code MGET}: on a
   * Cluster the keys may live on several nodes, and on one node the reads ride the same batches as
   * everyone else's); completes when every key is answered, failing with the first failure.
   */
  @Override
  public CompletableFuture<List<ValueTtl>> mgetWithTtlAsync(List<byte[]> keys) {
    requireNoNulls(keys, "keys");
    List<CompletableFuture<ValueTtl>> each = new ArrayList<>(keys.size());
    for (byte[] key : keys) {
      each.add(getWithTtlAsync(key));
    }
    return CompletableFuture.allOf(each.toArray(new CompletableFuture<?>[0])).thenApply(ok -> {
      List<ValueTtl> out = new ArrayList<>(each.size());
      for (CompletableFuture<ValueTtl> f : each) {
        out.add(f.join());
      }
      return out;
    });
  }

  @Override
  public void set(byte[] key, byte[] value, Duration ttl) {
    await(setAsync(key, value, ttl));
  }

  /** {@code SET key value PX ttl}, queued. */
  @Override
  public CompletableFuture<@Nullable Void> setAsync(byte[] key, byte[] value, Duration ttl) {
    requireNonNull(key, "key");
    requireNonNull(value, "value");
    byte[][] rest = {value, PX, Long.toString(JedisBackend.millis(ttl)).getBytes(US_ASCII)};
    return submit(new Call(slot(key), Protocol.Command.SET, key, rest, null)).thenApply(ok -> null);
  }

  @Override
  public String toString() {
    return "CoalescingJedisBackend{" + jedis.getClass().getSimpleName()
        + ", queueCapacity=" + queueCapacity + '}';
  }

  /**
   * Closes the flushers' connections and refuses queued calls from now on; calls passed
   * straight to the client are not affected (the user owns and closes the client).
   */
  @Override
  public void disconnect() {
    closed = true;
    if (single != null) {
      single.shutdown();
    }
    for (Node n : nodes.values()) {
      n.shutdown();
    }
  }

  @Override
  public int slot(byte[] key) {
    return cluster == null ? 0 : JedisClusterCRC16.getSlot(key);
  }

  private CompletableFuture<@Nullable Object> submit(Call call) {
    try {
      if (closed) {
        throw new IllegalStateException("the coalescing redis backend is closed");
      }
      node(call.slot).enqueue(call);
    } catch (RuntimeException e) {
      call.future.completeExceptionally(e);
    }
    return call.future;
  }

  private Node node(int slot) {
    Node s = single;
    if (s != null) {
      return s;
    }
    Node n = bySlot.get(slot);
    if (n != null) {
      return n;
    }
    // first use of this slot: the client's slot map names the owner (a pooled connection is
    // borrowed to read its address and given back unused: nothing is sent on it)
    HostAndPort owner;
    try (Connection c = requireNonNull(cluster, "cluster").connectionFromSlot.apply(slot)) {
      owner = c.getHostAndPort();
    }
    n = node(owner);
    bySlot.set(slot, n);
    return n;
  }

  private Node node(HostAndPort owner) {
    ClusterAccess c = requireNonNull(cluster, "cluster");
    String name = owner.toString();
    return nodes.computeIfAbsent(name, k -> new Node(k, () -> {
      ConnectionPool pool = c.pool.apply(k);
      if (pool == null) {
        c.refresh.run();
        pool = c.pool.apply(k);
      }
      if (pool == null) {
        throw new JedisException("no connection factory for cluster node " + k);
      }
      return make(pool);
    }));
  }

  /** Waits for {@code future}: its value, or its exception thrown as it is. */
  private static <T extends @Nullable Object> T await(CompletableFuture<T> future) {
    try {
      return future.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new JedisException(cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new JedisException(
          "interrupted while waiting for a redis reply (the command may still be sent)", e);
    }
  }

  /** What the flusher needs of a Cluster client, whichever of Jedis' two it is. */
  private record ClusterAccess(
      java.util.function.IntFunction<Connection> connectionFromSlot,
      java.util.function.Function<String, @Nullable ConnectionPool> pool,
      Runnable refresh) {}

  /** Makes a node's dedicated connection. */
  private interface ConnectionSource {
    Connection open();
  }

  /** One queued command and its future; the fields below the future are the flusher's own. */
  private static final class Call {
    final CompletableFuture<@Nullable Object> future = new CompletableFuture<>();
    final int slot;
    final Protocol.Command command;
    final byte[] first;
    final byte[][] rest;
    /** For a script: the source, sent by EVAL after NOSCRIPT; null otherwise. */
    final byte @Nullable [] source;
    /** A read followed by {@code PTTL} of its key: completes with a {@link ValueTtl}. */
    final boolean withTtl;
    int redirects;
    boolean asking;
    boolean reload;
    @Nullable HostAndPort askTarget;

    Call(int slot, Protocol.Command command, byte[] first, byte[][] rest, byte @Nullable [] source) {
      this(slot, command, first, rest, source, false);
    }

    Call(int slot, Protocol.Command command, byte[] first, byte[][] rest, byte @Nullable [] source,
        boolean withTtl) {
      this.slot = slot;
      this.command = command;
      this.first = first;
      this.rest = rest;
      this.source = source;
      this.withTtl = withTtl;
    }

    /** A {@code GET} and the {@code PTTL} of the same key, answered as one {@link ValueTtl}. */
    static Call readWithTtl(int slot, byte[] key) {
      return new Call(slot, Protocol.Command.GET, key, NO_ARGS, null, true);
    }

    /**
     * Writes this call (ASKING before each of its commands when redirected by ASK); how many
     * replies to read.
     */
    int write(Connection c) {
      int replies = 1;
      if (asking) {
        c.sendCommand(Protocol.Command.ASKING);
        replies++;
      }
      if (rest.length == 0 && !reload) {
        c.sendCommand(command, first);
      } else {
        byte[][] argv = new byte[1 + rest.length][];
        argv[0] = reload ? requireNonNull(source, "source") : first;
        System.arraycopy(rest, 0, argv, 1, rest.length);
        c.sendCommand(reload ? Protocol.Command.EVAL : command, argv);
      }
      if (withTtl) {
        if (asking) {
          c.sendCommand(Protocol.Command.ASKING);
          replies++;
        }
        c.sendCommand(Protocol.Command.PTTL, first);
        replies++;
      }
      return replies;
    }

    /**
     * The answer from this call's replies: the command's own, or for a read with its TTL both
     * made one {@link ValueTtl} (an error in the PTTL reply is thrown).
     */
    @Nullable Object answer(@Nullable Object reply, @Nullable Object ttlReply) {
      if (!withTtl) {
        return reply;
      }
      if (ttlReply instanceof JedisDataException e) {
        throw e;
      }
      return reply == null ? ValueTtl.ABSENT
          : new ValueTtl((byte[]) reply, (Long) requireNonNull(ttlReply, "pttl reply"));
    }
  }

  /**
   * One node's queue, flusher and connection. The state moves IDLE (no thread) → RUNNING (a
   * thread takes batches) ⇄ PARKED (that thread waits for work) → IDLE (it ended when idle). A
   * caller queues, then moves PARKED or IDLE to RUNNING, waking or starting the thread; the thread
   * parks only after finding the queue empty and looks at it once more after that, so no command
   * is left with no thread to take it.
   */
  private final class Node implements Runnable {
    private static final int IDLE = 0;
    private static final int RUNNING = 1;
    private static final int PARKED = 2;

    final String name;
    private final ConnectionSource source;
    private final ConcurrentLinkedQueue<Call> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicInteger state = new AtomicInteger(IDLE);
    private volatile @Nullable Thread thread;
    /** Used by the flusher thread only (closed by {@link #shutdown} from any thread). */
    private volatile @Nullable Connection connection;

    Node(String name, ConnectionSource source) {
      this.name = name;
      this.source = source;
    }

    void enqueue(Call call) {
      if (queued.incrementAndGet() > queueCapacity) {
        queued.decrementAndGet();
        throw new RejectedExecutionException("redis command queue for " + name + " is full ("
            + queueCapacity + " commands waiting)");
      }
      queue.offer(call);
      wake();
    }

    private void wake() {
      while (true) {
        int s = state.get();
        if (s == RUNNING) {
          return; // the flusher looks at the queue again before it parks
        }
        if (s == PARKED) {
          if (state.compareAndSet(PARKED, RUNNING)) {
            LockSupport.unpark(thread);
            return;
          }
        } else if (state.compareAndSet(IDLE, RUNNING)) {
          start();
          return;
        }
      }
    }

    private void start() {
      Thread t = new Thread(this, "scaleblocks-redis-flusher-" + name);
      t.setDaemon(true);
      thread = t;
      try {
        t.start();
      } catch (RuntimeException | Error e) {
        state.set(IDLE);
        failQueued(e);
      }
    }

    private void failQueued(Throwable e) {
      Call c;
      while ((c = queue.poll()) != null) {
        queued.decrementAndGet();
        c.future.completeExceptionally(e);
      }
    }

    void shutdown() {
      closeConnection();
      LockSupport.unpark(thread);
    }

    @Override
    public void run() {
      List<Call> batch = new ArrayList<>(MAX_BATCH);
      while (true) {
        if (closed) {
          failQueued(new IllegalStateException("the coalescing redis backend is closed"));
        }
        Call c;
        while (batch.size() < MAX_BATCH && (c = queue.poll()) != null) {
          batch.add(c);
        }
        if (!batch.isEmpty()) {
          queued.addAndGet(-batch.size());
          try {
            flush(batch);
          } catch (RuntimeException | Error e) {
            // a bug, not a Redis failure: never leave a caller waiting
            for (Call left : batch) {
              left.future.completeExceptionally(e);
            }
            closeConnection();
            log.error("redis flusher for {} failed", name, e);
          }
          batch.clear();
          continue;
        }
        if (!parkOrEnd()) {
          return;
        }
      }
    }

    /** Waits for work; false when the thread should end (idle, or the backend closed). */
    private boolean parkOrEnd() {
      state.set(PARKED);
      if (!queue.isEmpty()) {
        state.compareAndSet(PARKED, RUNNING);
        return true;
      }
      long deadline = System.nanoTime() + IDLE_NANOS;
      while (state.get() == PARKED) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || closed) {
          // closed while this thread is still the node's only flusher: a thread started after
          // IDLE below opens a connection of its own, which this one never touches
          closeConnection();
          if (state.compareAndSet(PARKED, IDLE)) {
            // a caller that queued after the check above sees IDLE and starts a new thread,
            // unless this one takes the work back first
            return !queue.isEmpty() && state.compareAndSet(IDLE, RUNNING);
          }
          return true;
        }
        LockSupport.parkNanos(this, left);
      }
      return true;
    }

    private void closeConnection() {
      Connection c = connection;
      connection = null;
      if (c != null) {
        try {
          c.close();
        } catch (RuntimeException e) {
          log.trace("closing the flusher connection to {}", name, e);
        }
      }
    }

    /**
     * Writes {@code batch}, reads its replies, re-sends the NOSCRIPT entries as EVAL, queues the
     * redirected ones on their node, and completes every other entry.
     */
    private void flush(List<Call> batch) {
      batches.increment();
      commands.add(batch.size());
      largestBatch.accumulate(batch.size());
      List<Call> round = batch;
      List<Call> redirected = new ArrayList<>(0);
      while (!round.isEmpty()) {
        List<Object> replies;
        int[] counts = new int[round.size()];
        try {
          Connection c = connection;
          if (c == null || closed) {
            if (closed) {
              throw new IllegalStateException("the coalescing redis backend is closed");
            }
            c = source.open();
            connection = c;
          }
          int total = 0;
          for (int i = 0; i < counts.length; i++) {
            counts[i] = round.get(i).write(c);
            total += counts[i];
          }
          replies = c.getMany(total);
        } catch (RuntimeException e) {
          // the connection failed with these on the wire: each fails, none is sent again (some
          // may have run); the connection is never used again
          closeConnection();
          for (Call call : round) {
            call.future.completeExceptionally(e);
          }
          break;
        }
        List<Call> again = new ArrayList<>(0);
        int r = 0;
        for (int i = 0; i < counts.length; i++) {
          Call call = round.get(i);
          if (call.asking) {
            r++; // ASKING's own reply: +OK, or an error that the command's reply repeats
          }
          Object reply = replies.get(r++);
          Object ttlReply = null;
          if (call.withTtl) {
            r += call.asking ? 1 : 0;
            ttlReply = replies.get(r++); // a redirect or failure of the read repeats here
          }
          call.asking = false;
          if (reply instanceof JedisNoScriptException && call.source != null && !call.reload) {
            call.reload = true;
            again.add(call);
          } else if (reply instanceof JedisMovedDataException m && call.redirects < MAX_REDIRECTS) {
            call.redirects++;
            bySlot.set(m.getSlot(), node(m.getTargetNode()));
            redirected.add(call);
          } else if (reply instanceof JedisAskDataException a && call.redirects < MAX_REDIRECTS) {
            call.redirects++;
            call.asking = true;
            call.askTarget = a.getTargetNode();
            redirected.add(call);
          } else if (reply instanceof JedisDataException e) {
            call.future.completeExceptionally(e);
          } else {
            try {
              call.future.complete(call.answer(reply, ttlReply));
            } catch (RuntimeException e) {
              call.future.completeExceptionally(e);
            }
          }
        }
        if (!again.isEmpty()) {
          log.debug("{} scripts not cached on {}, sending their source", again.size(), name);
        }
        round = again;
      }
      if (redirected.isEmpty()) {
        return;
      }
      boolean moved = false;
      for (Call call : redirected) {
        HostAndPort ask = call.askTarget;
        call.askTarget = null;
        try {
          if (ask != null) {
            node(ask).enqueue(call);
          } else {
            moved = true;
            node(call.slot).enqueue(call);
          }
        } catch (RuntimeException e) {
          call.future.completeExceptionally(e);
        }
      }
      if (moved) {
        try {
          requireNonNull(cluster, "cluster").refresh.run();
        } catch (RuntimeException e) {
          log.debug("slot map refresh after MOVED failed", e);
        }
      }
    }
  }

  // ---------------------------------------------------------------- passed straight through

  @Override
  public List<byte @Nullable []> mget(List<byte[]> keys) {
    return direct.mget(keys);
  }

  @Override
  public CompletableFuture<List<byte @Nullable []>> mgetAsync(List<byte[]> keys) {
    return direct.mgetAsync(keys);
  }


  @Override
  public boolean setIfAbsent(byte[] key, byte[] value, Duration ttl) {
    return direct.setIfAbsent(key, value, ttl);
  }

  @Override
  public CompletableFuture<Boolean> setIfAbsentAsync(byte[] key, byte[] value, Duration ttl) {
    return direct.setIfAbsentAsync(key, value, ttl);
  }

  @Override
  public long publish(byte[] channel, byte[] message) {
    return direct.publish(channel, message);
  }

  @Override
  public CompletableFuture<Long> publishAsync(byte[] channel, byte[] message) {
    return direct.publishAsync(channel, message);
  }


  @Override
  public long del(List<byte[]> keys) {
    return direct.del(keys);
  }

  @Override
  public CompletableFuture<Long> delAsync(List<byte[]> keys) {
    return direct.delAsync(keys);
  }

  @Override
  public long deleteMatching(byte[] pattern) {
    return direct.deleteMatching(pattern);
  }

  @Override
  public CompletableFuture<Long> deleteMatchingAsync(byte[] pattern) {
    return direct.deleteMatchingAsync(pattern);
  }

  @Override
  public long publishSharded(byte[] channel, byte[] message) {
    return direct.publishSharded(channel, message);
  }

  @Override
  public CompletableFuture<Long> publishShardedAsync(byte[] channel, byte[] message) {
    return direct.publishShardedAsync(channel, message);
  }

  @Override
  public Subscription subscribe(byte[] channel, SubscriptionListener listener) {
    return direct.subscribe(channel, listener);
  }

  @Override
  public long timeMicros() {
    return direct.timeMicros();
  }

  @Override
  public CompletableFuture<Long> timeMicrosAsync() {
    return direct.timeMicrosAsync();
  }
}
