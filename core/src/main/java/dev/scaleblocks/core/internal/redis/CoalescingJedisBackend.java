package dev.scaleblocks.core.internal.redis;

import static dev.scaleblocks.core.internal.Checks.requireArgument;
import static dev.scaleblocks.core.internal.Checks.requireNoNulls;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import dev.scaleblocks.core.redis.RedisScript;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisMovedDataException;
import redis.clients.jedis.exceptions.JedisNoScriptException;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * The backend over a Jedis {@link UnifiedJedis} that coalesces concurrent callers' commands into
 * one pipeline per Redis node, so that many calls in flight share one connection and one round
 * trip instead of taking a pooled connection each.
 *
 * <h2>How it works: a group commit per node</h2>
 *
 * <p>Each Redis node (the one server of a standalone or Sentinel client; each master of a Cluster,
 * found from the slot of a call's first key) has a bounded queue and at most one flusher thread.
 * A caller puts its command and a {@link CompletableFuture} in the node's queue and wakes the
 * flusher. The flusher takes everything queued, up to {@value #DEFAULT_MAX_BATCH} commands, writes
 * them as one pipeline on one connection borrowed from the client's pool, reads the replies and
 * completes the futures. While a batch is on the wire, new callers queue up for the next one: the
 * busier the node, the larger the batches, with no timer and no added delay for a lone caller.
 * A flusher with nothing to do for {@value #IDLE_SECONDS} s ends; the next call starts a new one.
 *
 * <ul>
 *   <li>{@code EVALSHA}, {@code GET}, {@code MGET}, {@code SET ... PX}, {@code SET ... NX PX},
 *       {@code PUBLISH} and {@code TIME} all go through the queues (on a Cluster an {@code MGET}
 *       is split into one {@code MGET} per slot, each queued on its node).
 *   <li>A {@code NOSCRIPT} reply fails nothing: the entries that got it (and only those) are sent
 *       again as {@code EVAL} of the source in a second pipeline on the same connection, which
 *       runs them and caches the script. {@code NOSCRIPT} means the script did not run.
 *   <li>On a Cluster, a {@code MOVED} reply (a slot that moved since it was looked up) re-routes
 *       that entry to the node named in the reply and refreshes the client's slot map; a
 *       {@code MOVED} entry did not run either. An {@code ASK} reply (a slot being migrated right
 *       now) fails that entry.
 *   <li>Any other error reply fails its own entry only.
 * </ul>
 *
 * <h2>Exactly once</h2>
 *
 * <p>A command is written to Redis at most once; the only second sends are of entries Redis
 * answered {@code NOSCRIPT} or {@code MOVED} to, which it did not run. A connection that fails
 * while a batch is on the wire (killed server, socket timeout, broken connection) fails every entry
 * of that batch with the same exception, which each caller gets as its own (thrown by the blocking
 * forms, failing the future of the asynchronous ones). Nothing is retried after such a failure:
 * some of those commands may have run, and a retry could count a decision twice. The broken
 * connection goes back to the pool as broken.
 *
 * <h2>Overload</h2>
 *
 * <p>Each node's queue holds at most {@code queueCapacity} commands (default {@value
 * #DEFAULT_QUEUE_CAPACITY}). A call that finds it full is refused at once with a {@link
 * RejectedExecutionException} — thrown by the blocking forms, failing the future of the
 * asynchronous ones — and is never sent. This client is too busy; Redis may well be fine: a
 * guard should count it as overload, not as a Redis failure.
 *
 * <h2>Threads and waiting</h2>
 *
 * <p>The asynchronous forms never block: they queue the command and return its future, which
 * completes on the node's flusher thread ({@code scaleblocks-redis-flusher-<node>}); stages
 * attached without an executor run there and delay the node's next batch, so they must be short
 * and never block ({@link #nonBlocking()} is {@code true}). The blocking forms queue the command
 * and park until the flusher completes it; they hold no lock (no {@code synchronized}; virtual
 * threads do not pin). How long they wait is bounded by the flusher's progress: the client's socket
 * timeout for each read, and its pool's wait for a connection. An interrupted blocking caller gets a
 * {@link JedisException} at once, but its command may still be sent.
 *
 * <p>Thread-safe. Cost per call: a queue insertion, a future, one wake-up of the flusher when it is
 * parked, and one of the caller when it blocks; per batch, one pooled connection borrowed and one
 * round trip. Holds no resource that needs closing: flusher threads are daemon threads that end
 * when idle, and calls fail once the user closes the client.
 */
public final class CoalescingJedisBackend implements RedisBackend {

  /** Most commands written in one pipeline. */
  public static final int DEFAULT_MAX_BATCH = 128;

  /** Most commands waiting for a node's flusher. */
  public static final int DEFAULT_QUEUE_CAPACITY = 1024;

  private static final int IDLE_SECONDS = 1;
  private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(IDLE_SECONDS);
  private static final int SLOTS = 16384;
  /** How many times a command may be re-routed by {@code MOVED} before it fails. */
  private static final int MAX_REDIRECTS = 5;

  private static final Logger log = LoggerFactory.getLogger(CoalescingJedisBackend.class);

  /** Routes TIME and keyless scripts on a Cluster (any slot will do); never sent. */
  private static final byte[] KEYLESS_ROUTE = "scaleblocks:time".getBytes(US_ASCII);

  private final UnifiedJedis jedis;
  /** The cache's calls (GET with PTTL, DEL, SCAN, sharded publish, subscriptions): sent as they come. */
  private final JedisBackend direct;
  private final @Nullable ClusterAccess cluster;
  private final int maxBatch;
  private final int queueCapacity;
  /** The one node of a standalone or Sentinel client; unused on a Cluster. */
  private final @Nullable Node single;
  /** On a Cluster: the node of each slot, looked up on first use and corrected by MOVED. */
  private final AtomicReferenceArray<@Nullable Node> bySlot;
  private final ConcurrentHashMap<String, Node> nodes = new ConcurrentHashMap<>();

  private final LongAdder batches = new LongAdder();
  private final LongAdder commands = new LongAdder();
  private final LongAccumulator largestBatch = new LongAccumulator(Math::max, 0);

  /** A coalescing backend over {@code jedis} with the default batch size and queue capacity. */
  CoalescingJedisBackend(UnifiedJedis jedis) {
    this(jedis, DEFAULT_MAX_BATCH, DEFAULT_QUEUE_CAPACITY);
  }

  /**
   * A coalescing backend over {@code jedis}: at most {@code maxBatch} commands per pipeline, at
   * most {@code queueCapacity} waiting per node.
   */
  @SuppressWarnings("deprecation") // JedisCluster: deprecated for RedisClusterClient, still in use
  CoalescingJedisBackend(UnifiedJedis jedis, int maxBatch, int queueCapacity) {
    this.jedis = requireNonNull(jedis, "jedis");
    this.direct = new JedisBackend(jedis);
    requireArgument(maxBatch > 0, "maxBatch must be positive but was %s", maxBatch);
    requireArgument(queueCapacity > 0, "queueCapacity must be positive but was %s", queueCapacity);
    this.maxBatch = maxBatch;
    this.queueCapacity = queueCapacity;
    if (jedis instanceof RedisClusterClient c) {
      this.cluster = new ClusterAccess() {
        @Override
        public Connection connection(int slot) {
          return c.getConnectionFromSlot(slot);
        }

        @Override
        public @Nullable ConnectionPool pool(String node) {
          return c.getClusterNodes().get(node);
        }

        @Override
        public void refresh() {
          c.refreshClusterTopology();
        }
      };
    } else if (jedis instanceof JedisCluster c) {
      this.cluster = new ClusterAccess() {
        @Override
        public Connection connection(int slot) {
          return c.getConnectionFromSlot(slot);
        }

        @Override
        public @Nullable ConnectionPool pool(String node) {
          return c.getClusterNodes().get(node);
        }

        @Override
        public void refresh() {
          c.refreshClusterTopology();
        }
      };
    } else {
      this.cluster = null;
    }
    this.single = cluster == null ? new Node("standalone") : null;
    this.bySlot = new AtomicReferenceArray<>(cluster == null ? 0 : SLOTS);
  }

  /** The client calls go through. */
  public UnifiedJedis jedis() {
    return jedis;
  }

  /** How many pipelines have been written (NOSCRIPT reloads not counted apart). */
  public long batches() {
    return batches.sum();
  }

  /** How many commands those pipelines carried (NOSCRIPT reloads not counted). */
  public long commands() {
    return commands.sum();
  }

  /** The most commands one pipeline carried so far. */
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

  // ---- the contract

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
    return submit(new Call<@Nullable Object>(slot(keys.isEmpty() ? KEYLESS_ROUTE : keys.get(0)),
        p -> p.evalsha(script.sha1().getBytes(UTF_8), keys, args),
        p -> p.eval(script.source().getBytes(UTF_8), keys, args),
        raw -> raw));
  }

  @Override
  public byte @Nullable [] get(byte[] key) {
    return await(getAsync(key));
  }

  @Override
  public CompletableFuture<byte @Nullable []> getAsync(byte[] key) {
    requireNonNull(key, "key");
    return submit(new Call<byte @Nullable []>(slot(key), p -> p.get(key), null,
        raw -> (byte[]) raw));
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
    if (cluster == null) {
      byte[][] all = keys.toArray(new byte[0][]);
      return submit(new Call<List<byte @Nullable []>>(0, p -> p.mget(all), null, CoalescingJedisBackend::bulks));
    }
    // one MGET per slot (Redis refuses cross-slot MGET even within one node), each queued on its
    // node: a node's share goes out in that node's next pipeline
    Map<Integer, List<Integer>> bySlotIndex = new LinkedHashMap<>();
    for (int i = 0; i < keys.size(); i++) {
      bySlotIndex.computeIfAbsent(JedisClusterCRC16.getSlot(keys.get(i)), s -> new ArrayList<>()).add(i);
    }
    List<List<Integer>> groups = new ArrayList<>(bySlotIndex.values());
    List<CompletableFuture<List<byte @Nullable []>>> parts = new ArrayList<>(groups.size());
    for (List<Integer> group : groups) {
      byte[][] slotKeys = new byte[group.size()][];
      for (int j = 0; j < slotKeys.length; j++) {
        slotKeys[j] = keys.get(group.get(j));
      }
      parts.add(submit(new Call<List<byte @Nullable []>>(JedisClusterCRC16.getSlot(slotKeys[0]),
          p -> p.mget(slotKeys), null, CoalescingJedisBackend::bulks)));
    }
    return CompletableFuture.allOf(parts.toArray(new CompletableFuture<?>[0])).thenApply(v -> {
      List<byte @Nullable []> out = new ArrayList<>(keys.size());
      for (int i = 0; i < keys.size(); i++) {
        out.add(null);
      }
      for (int g = 0; g < groups.size(); g++) {
        List<byte @Nullable []> values = parts.get(g).join();
        List<Integer> group = groups.get(g);
        for (int j = 0; j < group.size(); j++) {
          out.set(group.get(j), values.get(j));
        }
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
    SetParams params = SetParams.setParams().px(JedisBackend.millis(ttl));
    return submit(new Call<@Nullable Void>(slot(key), p -> p.set(key, value, params), null,
        raw -> null));
  }

  @Override
  public boolean setIfAbsent(byte[] key, byte[] value, Duration ttl) {
    return await(setIfAbsentAsync(key, value, ttl));
  }

  @Override
  public CompletableFuture<Boolean> setIfAbsentAsync(byte[] key, byte[] value, Duration ttl) {
    requireNonNull(key, "key");
    requireNonNull(value, "value");
    SetParams params = SetParams.setParams().nx().px(JedisBackend.millis(ttl));
    return submit(new Call<Boolean>(slot(key), p -> p.set(key, value, params), null,
        raw -> raw != null));
  }

  @Override
  public long publish(byte[] channel, byte[] message) {
    return await(publishAsync(channel, message));
  }

  @Override
  public CompletableFuture<Long> publishAsync(byte[] channel, byte[] message) {
    requireNonNull(channel, "channel");
    requireNonNull(message, "message");
    return submit(new Call<Long>(slot(channel),
        p -> p.sendCommand(Protocol.Command.PUBLISH, channel, message), null,
        raw -> (Long) requireNonNull(raw, "reply to PUBLISH")));
  }

  @Override
  public long timeMicros() {
    return await(timeMicrosAsync());
  }

  @Override
  public CompletableFuture<Long> timeMicrosAsync() {
    return submit(new Call<Long>(slot(KEYLESS_ROUTE), p -> p.sendCommand(Protocol.Command.TIME, new byte[0][]),
        null, RedisReplies::timeMicros));
  }

  @Override
  public String toString() {
    return "CoalescingJedisBackend{" + jedis.getClass().getSimpleName()
        + (cluster != null ? ", cluster" : "") + ", maxBatch=" + maxBatch
        + ", queueCapacity=" + queueCapacity + '}';
  }

  // ---- queueing

  private int slot(byte[] key) {
    return cluster == null ? 0 : JedisClusterCRC16.getSlot(key);
  }

  /** Queues {@code call} on its node; a full queue fails the future at once (never sent). */
  private <T> CompletableFuture<T> submit(Call<T> call) {
    try {
      node(call.slot).enqueue(call);
    } catch (RuntimeException e) {
      call.future.completeExceptionally(e);
    }
    return call.future;
  }

  private Node node(int slot) {
    if (single != null) {
      return single;
    }
    Node n = bySlot.get(slot);
    if (n != null) {
      return n;
    }
    // first use of this slot: ask the client's slot map (a pool borrow, no I/O once connected)
    HostAndPort owner;
    try (Connection c = requireNonNull(cluster, "cluster").connection(slot)) {
      owner = c.getHostAndPort();
    }
    n = node(owner);
    bySlot.set(slot, n);
    return n;
  }

  private Node node(HostAndPort owner) {
    return nodes.computeIfAbsent(owner.toString(), Node::new);
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
      throw new JedisException("interrupted while waiting for a redis reply (the command may still be sent)", e);
    }
  }

  @SuppressWarnings("unchecked")
  private static List<byte @Nullable []> bulks(@Nullable Object raw) {
    return (List<byte @Nullable []>) requireNonNull(raw, "reply to MGET");
  }

  /** What the flusher needs of a Cluster client, whichever of Jedis' two it is. */
  private interface ClusterAccess {
    /** A pooled connection to the node that owns {@code slot} in the client's map. */
    Connection connection(int slot);

    /** The client's pool for {@code node} ({@code host:port}), null when it knows no such node. */
    @Nullable ConnectionPool pool(String node);

    /** Re-reads the client's slot map (a no-op while another re-read is running). */
    void refresh();
  }

  /** One queued command: how to append it to a pipeline and how to read its reply. */
  private static final class Call<T> {
    final CompletableFuture<T> future = new CompletableFuture<>();
    final int slot;
    final Function<AbstractPipeline, Response<?>> send;
    /** For a script: the same as EVAL of the source, after NOSCRIPT; null otherwise. */
    final @Nullable Function<AbstractPipeline, Response<?>> reload;
    final Function<@Nullable Object, T> convert;
    int redirects;
    // the flusher's own, between append and completion
    boolean reroute;
    @Nullable Response<?> response;
    @Nullable Object reply;
    @Nullable RuntimeException error;

    Call(int slot, Function<AbstractPipeline, Response<?>> send,
        @Nullable Function<AbstractPipeline, Response<?>> reload,
        Function<@Nullable Object, T> convert) {
      this.slot = slot;
      this.send = send;
      this.reload = reload;
      this.convert = convert;
    }

    /** Reads this call's reply from its response; false when the reply is an error. */
    boolean read() {
      try {
        reply = requireNonNull(response, "response").get();
        error = null;
        return true;
      } catch (RuntimeException e) {
        error = e;
        return false;
      }
    }

    void complete() {
      RuntimeException e = error;
      if (e != null) {
        future.completeExceptionally(e);
        return;
      }
      T value;
      try {
        value = convert.apply(reply);
      } catch (RuntimeException conversion) {
        future.completeExceptionally(conversion);
        return;
      }
      future.complete(value);
    }
  }

  /**
   * One node's queue and its flusher. The state moves IDLE (no thread) → RUNNING (a thread takes
   * batches) ⇄ PARKED (that thread waits for work) → IDLE (it ended after a quiet second). A caller
   * queues, then moves PARKED or IDLE to RUNNING, waking or starting the thread; the thread goes
   * PARKED only after finding the queue empty, and looks at the queue once more after that, so a
   * command is never left behind with no thread to take it.
   */
  private final class Node implements Runnable {
    private static final int IDLE = 0;
    private static final int RUNNING = 1;
    private static final int PARKED = 2;

    final String name;
    private final ConcurrentLinkedQueue<Call<?>> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicInteger state = new AtomicInteger(IDLE);
    private volatile @Nullable Thread thread;

    Node(String name) {
      this.name = name;
    }

    void enqueue(Call<?> call) {
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
        // no thread (out of native threads): fail what is queued rather than strand it
        state.set(IDLE);
        Call<?> c;
        while ((c = queue.poll()) != null) {
          queued.decrementAndGet();
          c.future.completeExceptionally(e);
        }
      }
    }

    @Override
    public void run() {
      List<Call<?>> batch = new ArrayList<>(maxBatch);
      while (true) {
        Call<?> c;
        while (batch.size() < maxBatch && (c = queue.poll()) != null) {
          batch.add(c);
        }
        if (!batch.isEmpty()) {
          queued.addAndGet(-batch.size());
          try {
            flush(batch);
          } catch (RuntimeException | Error e) {
            // a bug, not a Redis failure: never leave a caller waiting
            for (Call<?> left : batch) {
              left.future.completeExceptionally(e);
            }
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

    /** Waits for work; false when the thread should end (idle for a second). */
    private boolean parkOrEnd() {
      state.set(PARKED);
      if (!queue.isEmpty()) {
        // queued between the last poll and PARKED; a caller may have set RUNNING already
        state.compareAndSet(PARKED, RUNNING);
        return true;
      }
      long deadline = System.nanoTime() + IDLE_NANOS;
      while (state.get() == PARKED) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
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

    /** Writes {@code batch} as one pipeline, reloads scripts, completes every call. */
    private void flush(List<Call<?>> batch) {
      batches.increment();
      commands.add(batch.size());
      largestBatch.accumulate(batch.size());
      List<Call<?>> moved = new ArrayList<>(0);
      List<Call<?>> onTheWire = batch;
      AbstractPipeline p = null;
      try {
        p = pipeline(batch.get(0).slot);
        for (Call<?> call : batch) {
          call.response = call.send.apply(p);
        }
        p.sync();
        List<Call<?>> noScript = new ArrayList<>(0);
        for (Call<?> call : batch) {
          if (!call.read()) {
            if (call.error instanceof JedisNoScriptException && call.reload != null) {
              noScript.add(call);
            } else if (call.error instanceof JedisMovedDataException
                && call.redirects < MAX_REDIRECTS) {
              call.reroute = true;
              moved.add(call);
            }
          }
        }
        onTheWire = noScript;
        if (!noScript.isEmpty()) {
          log.debug("{} scripts not cached on {}, sending their source", noScript.size(), name);
          for (Call<?> call : noScript) {
            call.response = requireNonNull(call.reload, "reload").apply(p);
          }
          p.sync();
          for (Call<?> call : noScript) {
            call.read();
          }
        }
      } catch (RuntimeException e) {
        // the connection failed with these on the wire: each fails, none is retried (some may
        // have run); entries answered before (a first round's, when the reload failed) stand
        for (Call<?> call : onTheWire) {
          call.error = e;
          call.reroute = false;
        }
        if (onTheWire == batch) {
          moved.clear();
        }
      } finally {
        if (p != null) {
          closeQuietly(p);
        }
      }
      for (Call<?> call : moved) {
        JedisMovedDataException m = (JedisMovedDataException) requireNonNull(call.error, "error");
        bySlot.set(m.getSlot(), node(m.getTargetNode()));
      }
      if (!moved.isEmpty()) {
        try {
          requireNonNull(cluster, "cluster").refresh();
        } catch (RuntimeException e) {
          log.debug("slot map refresh after MOVED failed", e);
        }
      }
      for (Call<?> call : batch) {
        if (!call.reroute) {
          call.complete();
        }
      }
      for (Call<?> call : moved) {
        call.redirects++;
        call.reroute = false;
        call.error = null;
        call.response = null;
        try {
          node(call.slot).enqueue(call);
        } catch (RuntimeException e) {
          call.future.completeExceptionally(e);
        }
      }
    }

    /**
     * A pipeline on one connection to this node: on a Cluster from the client's pool for it (a
     * node the client does not know yet: after a re-read of its map, else the owner of {@code
     * slot} in that map, which answers MOVED for any slot it does not own).
     */
    private AbstractPipeline pipeline(int slot) {
      ClusterAccess c = cluster;
      if (c == null) {
        return jedis.pipelined();
      }
      ConnectionPool pool = c.pool(name);
      if (pool == null) {
        c.refresh();
        pool = c.pool(name);
      }
      return new Pipeline(pool != null ? pool.getResource() : c.connection(slot), true);
    }

    private void closeQuietly(AbstractPipeline p) {
      try {
        p.close(); // syncs what is left (nothing, unless the connection failed) and returns it
      } catch (RuntimeException e) {
        log.trace("closing a failed pipeline to {}", name, e);
      }
    }
  }

  // ---------------------------------------------------------------- not coalesced
  // The cache's calls below go straight to the client (one pooled connection each, blocking the
  // caller as plain Jedis does); only the hot calls above are queued.

  @Override
  public ValueTtl getWithTtl(byte[] key) {
    return direct.getWithTtl(key);
  }

  @Override
  public CompletableFuture<ValueTtl> getWithTtlAsync(byte[] key) {
    return direct.getWithTtlAsync(key);
  }

  @Override
  public List<ValueTtl> mgetWithTtl(List<byte[]> keys) {
    return direct.mgetWithTtl(keys);
  }

  @Override
  public CompletableFuture<List<ValueTtl>> mgetWithTtlAsync(List<byte[]> keys) {
    return direct.mgetWithTtlAsync(keys);
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
}
