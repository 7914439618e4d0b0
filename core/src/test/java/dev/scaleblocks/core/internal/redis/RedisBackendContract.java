package dev.scaleblocks.core.internal.redis;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scaleblocks.core.redis.RedisScript;
import dev.scaleblocks.core.testing.ThrowawayRedis;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.BinaryJedisPubSub;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * What every {@link RedisBackend} must do, the same tests against each client (Jedis, Lettuce) on
 * each topology (the shared standalone Redis, the shared Cluster). Anything that flushes, kills
 * or pauses a server does it to a throw-away {@code redis-server} of the test's own, reached by a
 * standalone client of the same library.
 */
abstract class RedisBackendContract {

  /** Returns {integer, its first argument as bytes, a nested array, the PTTL of its key}. */
  static final RedisScript SHAPES = RedisScript.of("contract-shapes",
      "redis.call('SET', KEYS[1], ARGV[1], 'PX', 60000) "
          + "return {redis.call('INCR', KEYS[2]), redis.call('GET', KEYS[1]), {7, 'x'}, "
          + "redis.call('PTTL', KEYS[1])}");
  static final RedisScript NUMBER = RedisScript.of("contract-number", "return 42");
  static final RedisScript NIL = RedisScript.of("contract-nil", "return false");
  static final RedisScript ONE_ELEMENT = RedisScript.of("contract-one", "return {42}");
  static final RedisScript EMPTY_NESTED = RedisScript.of("contract-nested",
      "return {{}, {1, {2, {}}}, 3}");
  static final RedisScript STATUS = RedisScript.of("contract-status", "return redis.status_reply('FINE')");
  static final RedisScript PTTL = RedisScript.of("contract-pttl", "return redis.call('PTTL', KEYS[1])");
  static final RedisScript BROKEN = RedisScript.of("contract-broken", "return redis.call('NO_SUCH_COMMAND')");
  static final RedisScript TWO_KEYS = RedisScript.of("contract-two-keys",
      "return {redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2])}");

  private final List<ThrowawayRedis> servers = new ArrayList<>();

  /** The backend under test, on a shared service; the same instance for the whole class. */
  protected abstract RedisBackend backend();

  /**
   * A backend of the same client library on {@code server}, with a client timeout of about
   * {@code timeout}; closed by {@link #closeThrowawayClients()}.
   */
  protected abstract RedisBackend onThrowaway(ThrowawayRedis server, Duration timeout);

  /** Closes the clients {@link #onThrowaway} opened. */
  protected abstract void closeThrowawayClients();

  /** Whether the asynchronous forms complete on the client's I/O thread (Lettuce, coalescing Jedis). */
  protected abstract boolean completesOnIoThread();

  /** How the names of the threads that complete the asynchronous forms begin. */
  protected String ioThreadPrefix() {
    return "lettuce-";
  }

  @AfterEach
  void stopServers() {
    closeThrowawayClients();
    servers.forEach(ThrowawayRedis::close);
    servers.clear();
  }

  private ThrowawayRedis server() {
    ThrowawayRedis server = ThrowawayRedis.start();
    servers.add(server);
    return server;
  }

  static byte[] key(String what) {
    return ("scaleblocks:test:backend:" + what + ":" + UUID.randomUUID()).getBytes(UTF_8);
  }

  /** Two keys sharing a hash slot. */
  static List<byte[]> tagged(String what) {
    String tag = "{" + UUID.randomUUID() + "}";
    return List.of(("scaleblocks:test:backend:" + tag + ":" + what + ":a").getBytes(UTF_8),
        ("scaleblocks:test:backend:" + tag + ":" + what + ":b").getBytes(UTF_8));
  }

  static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }

  static byte[] everyByte() {
    byte[] all = new byte[256];
    for (int i = 0; i < all.length; i++) {
      all[i] = (byte) i;
    }
    return all;
  }

  // ---- scripts

  /**
   * A key's slot as the backend computes it is the slot Redis itself gives ({@code CLUSTER
   * KEYSLOT} on a Cluster node), hash tags included; 0 on a standalone Redis.
   */
  @Test
  void slotIsTheSlotRedisGives() {
    RedisBackend b = backend();
    List<String> keys = List.of("plain", "{user:1}:s0", "{user:1}:s1", "a{}b", "{}{x}", "x{y}z{w}",
        "{", "}{a}", "scaleblocks:rl:p:client-42", "\u00e9t\u00e9");
    if (!b.cluster()) {
      for (String k : keys) {
        assertThat(b.slot(k.getBytes(UTF_8))).as(k).isZero();
      }
      return;
    }
    java.net.InetSocketAddress node = dev.scaleblocks.core.testing.TestServices.redisCluster().get(0);
    try (Jedis admin = new Jedis(node.getHostString(), node.getPort())) {
      for (String k : keys) {
        assertThat(b.slot(k.getBytes(UTF_8))).as(k).isEqualTo((int) admin.clusterKeySlot(k));
      }
    }
  }

  @Test
  void scriptRepliesComeInTheNeutralForm() throws Exception {
    RedisBackend b = backend();
    List<byte[]> keys = tagged("shapes");
    byte[] value = everyByte();
    for (Object reply : List.of(b.eval(SHAPES, keys, List.of(value)),
        b.evalAsync(SHAPES, keys, List.of(value)).get(10, TimeUnit.SECONDS))) {
      assertThat(reply).isInstanceOf(List.class);
      List<?> list = (List<?>) reply;
      assertThat(list).hasSize(4);
      assertThat(list.get(0)).isInstanceOf(Long.class);
      assertThat((byte[]) list.get(1)).containsExactly(value);
      assertThat(list.get(2)).isInstanceOf(List.class);
      List<?> nested = (List<?>) list.get(2);
      assertThat(nested.get(0)).isEqualTo(7L);
      assertThat((byte[]) nested.get(1)).containsExactly(bytes("x"));
      assertThat((Long) list.get(3)).isBetween(1L, 60_000L);
    }
    assertThat(b.eval(NUMBER, List.of(), List.of())).isEqualTo(42L);
    assertThat(b.eval(NIL, List.of(), List.of())).isNull();
    assertThat(b.eval(ONE_ELEMENT, List.of(), List.of())).as("not a scalar").isEqualTo(List.of(42L));
    assertThat(b.eval(EMPTY_NESTED, List.of(), List.of()))
        .isEqualTo(List.of(List.of(), List.of(1L, List.of(2L, List.of())), 3L));
    assertThat((byte[]) b.eval(STATUS, List.of(), List.of())).containsExactly(bytes("FINE"));
    assertThat(b.evalAsync(NUMBER, List.of(), List.of()).get(10, TimeUnit.SECONDS)).isEqualTo(42L);
    assertThat(b.evalAsync(NIL, List.of(), List.of()).get(10, TimeUnit.SECONDS)).isNull();
  }

  @Test
  void aScriptIsLoadedOnFirstUseAndReloadedAfterScriptFlush() throws Exception {
    ThrowawayRedis server = server();
    RedisBackend b = onThrowaway(server, Duration.ofSeconds(5));
    byte[] k = key("reload");
    try (Jedis direct = new Jedis(server.host(), server.port())) {
      assertThat(direct.scriptExists(NUMBER.sha1())).isFalse();
      assertThat(b.eval(NUMBER, List.of(k), List.of())).as("first use: EVAL after NOSCRIPT").isEqualTo(42L);
      assertThat(direct.scriptExists(NUMBER.sha1())).isTrue();
      assertThat(b.eval(NUMBER, List.of(k), List.of())).isEqualTo(42L);

      direct.scriptFlush();
      assertThat(b.eval(NUMBER, List.of(k), List.of())).as("reloaded after a flush").isEqualTo(42L);
      assertThat(direct.scriptExists(NUMBER.sha1())).isTrue();

      direct.scriptFlush();
      assertThat(b.evalAsync(NUMBER, List.of(k), List.of()).get(10, TimeUnit.SECONDS))
          .as("the asynchronous form reloads too").isEqualTo(42L);
      assertThat(direct.scriptExists(NUMBER.sha1())).isTrue();
    }
  }

  @Test
  void scriptErrorsAreThrownAndFailTheFuture() {
    RedisBackend b = backend();
    byte[] k = key("broken");
    assertThatThrownBy(() -> b.eval(BROKEN, List.of(k), List.of()))
        .isInstanceOf(RuntimeException.class);
    CompletableFuture<Object> f = b.evalAsync(BROKEN, List.of(k), List.of());
    assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(RuntimeException.class);
  }

  @Test
  void scriptKeysMustShareASlotOnACluster() {
    RedisBackend b = backend();
    byte[] a = key("a");
    byte[] c = key("b");
    while (JedisClusterCRC16.getSlot(a) == JedisClusterCRC16.getSlot(c)) {
      c = key("b");
    }
    List<byte[]> keys = List.of(a, c);
    if (b.cluster()) {
      assertThatThrownBy(() -> b.eval(TWO_KEYS, keys, List.of())).isInstanceOf(RuntimeException.class);
    } else {
      // both absent: GET's nil is Lua false inside the script, a nil again in the reply
      assertThat((List<?>) b.eval(TWO_KEYS, keys, List.of())).containsExactly(null, null);
    }
  }

  /** INCRBY of its key by its argument; the new value. */
  static final RedisScript INCR = RedisScript.of("contract-incr",
      "local n = redis.call('INCRBY', KEYS[1], ARGV[1]) redis.call('PEXPIRE', KEYS[1], 600000) return n");

  @Test
  void concurrentScriptCallsCountEveryCallExactlyOnce() throws Exception {
    RedisBackend b = backend();
    int threads = 16;
    int calls = 1_000;
    int spread = 64;
    List<byte[]> keys = new ArrayList<>();
    for (int i = 0; i < spread; i++) {
      keys.add(key("count-" + i));
    }
    byte[] hot = key("count-hot");
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread w = new Thread(() -> {
        try {
          start.await();
          List<CompletableFuture<Object>> pending = new ArrayList<>();
          for (int i = 0; i < calls; i++) {
            byte[] k = keys.get((id * calls + i) % spread);
            if (i % 2 == 0) {
              b.eval(INCR, List.of(k), List.of(bytes("1")));
              b.eval(INCR, List.of(hot), List.of(bytes("1")));
            } else {
              pending.add(b.evalAsync(INCR, List.of(k), List.of(bytes("1"))));
              pending.add(b.evalAsync(INCR, List.of(hot), List.of(bytes("1"))));
            }
          }
          for (CompletableFuture<Object> f : pending) {
            f.get(30, TimeUnit.SECONDS);
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      });
      w.start();
      workers.add(w);
    }
    long began = System.nanoTime();
    start.countDown();
    for (Thread w : workers) {
      w.join(120_000);
    }
    long millis = (System.nanoTime() - began) / 1_000_000;
    assertThat(failure.get()).isNull();
    long total = 0;
    for (byte[] k : keys) {
      total += Long.parseLong(new String(b.get(k), UTF_8));
    }
    System.out.printf("%s: %d script calls from %d threads in %d ms%n", b, 2L * threads * calls,
        threads, millis);
    assertThat(total).as("spread keys").isEqualTo((long) threads * calls);
    assertThat(new String(b.get(hot), UTF_8)).as("hot key").isEqualTo(Long.toString((long) threads * calls));
  }

  // ---- strings

  @Test
  void valuesAndKeysAreBinarySafe() throws Exception {
    RedisBackend b = backend();
    byte[] k = new byte[300];
    System.arraycopy(everyByte(), 0, k, 0, 256);
    System.arraycopy(key(""), 0, k, 256, 44);
    byte[] value = everyByte();
    b.set(k, value, Duration.ofMinutes(1));
    assertThat(b.get(k)).containsExactly(value);
    assertThat(b.getAsync(k).get(10, TimeUnit.SECONDS)).containsExactly(value);
    byte[] empty = key("empty");
    b.setAsync(empty, new byte[0], Duration.ofMinutes(1)).get(10, TimeUnit.SECONDS);
    assertThat(b.get(empty)).isEmpty();
    assertThat(b.get(key("absent"))).isNull();
    assertThat(b.getAsync(key("absent")).get(10, TimeUnit.SECONDS)).isNull();
  }

  @Test
  void mgetReturnsValuesInTheOrderAskedAcrossSlots() throws Exception {
    RedisBackend b = backend();
    List<byte[]> keys = new ArrayList<>();
    List<byte[]> expected = new ArrayList<>();
    Set<Integer> slots = new HashSet<>();
    for (int i = 0; i < 60; i++) {
      byte[] k = key("mget-" + i);
      keys.add(k);
      slots.add(JedisClusterCRC16.getSlot(k));
      if (i % 3 == 2) {
        expected.add(null); // absent
      } else {
        byte[] v = bytes("v" + i + "\u0000\u00ff");
        b.set(k, v, Duration.ofMinutes(1));
        expected.add(v);
      }
    }
    keys.add(keys.get(0)); // a key asked twice comes back twice
    expected.add(expected.get(0));
    assertThat(slots).as("keys spread over many slots").hasSizeGreaterThan(30);
    for (List<byte[]> got : List.of(b.mget(keys), b.mgetAsync(keys).get(10, TimeUnit.SECONDS))) {
      assertThat(got).hasSize(keys.size());
      for (int i = 0; i < keys.size(); i++) {
        if (expected.get(i) == null) {
          assertThat(got.get(i)).as("value %d", i).isNull();
        } else {
          assertThat(got.get(i)).as("value %d", i).containsExactly(expected.get(i));
        }
      }
    }
    assertThat(b.mget(List.of())).isEmpty();
    assertThat(b.mgetAsync(List.of()).get(10, TimeUnit.SECONDS)).isEmpty();
  }

  @Test
  void setIfAbsentSetsOnlyAnAbsentKey() throws Exception {
    RedisBackend b = backend();
    byte[] k = key("nx");
    assertThat(b.setIfAbsent(k, bytes("first"), Duration.ofMinutes(1))).isTrue();
    assertThat(b.setIfAbsent(k, bytes("second"), Duration.ofMinutes(1))).isFalse();
    assertThat(b.setIfAbsentAsync(k, bytes("third"), Duration.ofMinutes(1)).get(10, TimeUnit.SECONDS)).isFalse();
    assertThat(b.get(k)).containsExactly(bytes("first"));
    byte[] other = key("nx-async");
    assertThat(b.setIfAbsentAsync(other, bytes("a"), Duration.ofMinutes(1)).get(10, TimeUnit.SECONDS)).isTrue();
    assertThat(b.get(other)).containsExactly(bytes("a"));
  }

  @Test
  void setsExpireAfterTheirTtl() {
    RedisBackend b = backend();
    byte[] plain = key("px");
    byte[] nx = key("px-nx");
    b.set(plain, bytes("v"), Duration.ofMillis(300));
    assertThat(b.setIfAbsent(nx, bytes("v"), Duration.ofMillis(300))).isTrue();
    for (byte[] k : List.of(plain, nx)) {
      assertThat((Long) b.eval(PTTL, List.of(k), List.of())).isBetween(1L, 300L);
    }
    long start = System.nanoTime();
    Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
        .until(() -> b.get(plain) == null && b.get(nx) == null);
    System.out.printf("PX 300 ms keys gone after %d ms%n", (System.nanoTime() - start) / 1_000_000);
    assertThat(b.setIfAbsent(nx, bytes("again"), Duration.ofMinutes(1))).as("NX after expiry").isTrue();
  }

  @Test
  void publishReachesASubscriber() throws Exception {
    ThrowawayRedis server = server();
    RedisBackend b = onThrowaway(server, Duration.ofSeconds(5));
    byte[] channel = key("channel");
    byte[] message = everyByte();
    AtomicReference<byte[]> received = new AtomicReference<>();
    CountDownLatch subscribed = new CountDownLatch(1);
    CountDownLatch got = new CountDownLatch(1);
    BinaryJedisPubSub listener = new BinaryJedisPubSub() {
      @Override
      public void onSubscribe(byte[] ch, int count) {
        subscribed.countDown();
      }

      @Override
      public void onMessage(byte[] ch, byte[] msg) {
        received.set(msg);
        got.countDown();
        unsubscribe();
      }
    };
    Thread subscriber = new Thread(() -> {
      try (Jedis j = new Jedis(server.host(), server.port())) {
        j.subscribe(listener, channel);
      }
    });
    subscriber.setDaemon(true);
    subscriber.start();
    assertThat(subscribed.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(b.publish(channel, message)).isEqualTo(1L);
    assertThat(got.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(received.get()).containsExactly(message);
    subscriber.join(10_000);
    assertThat(b.publishAsync(channel, message).get(10, TimeUnit.SECONDS)).isZero();
    assertThat(backend().publish(key("nobody"), message)).isZero();
  }

  @Test
  void getWithTtlReadsTheValueAndItsTimeLeftTogether() throws Exception {
    RedisBackend b = backend();
    byte[] k = key("ttl");
    byte[] v = everyByte();
    b.set(k, v, Duration.ofSeconds(30));
    for (RedisBackend.ValueTtl got : List.of(b.getWithTtl(k), b.getWithTtlAsync(k).get(10, TimeUnit.SECONDS))) {
      assertThat(got.value()).containsExactly(v);
      assertThat(got.pttlMillis()).isBetween(1L, 30_000L);
    }
    assertThat(b.getWithTtl(key("absent"))).isEqualTo(RedisBackend.ValueTtl.ABSENT);
    assertThat(b.getWithTtlAsync(key("absent")).get(10, TimeUnit.SECONDS).value()).isNull();
  }

  /**
   * Many reads asked at once (a backend may send those that queue behind reads in flight
   * together): each gets its own key's value and time left, absent keys and keys without expiry
   * included, on every slot of a Cluster.
   */
  @Test
  void readsAskedAtOnceEachGetTheirOwnKey() throws Exception {
    RedisBackend b = backend();
    int keys = 60;
    List<byte[]> names = new ArrayList<>();
    for (int i = 0; i < keys; i++) {
      byte[] k = key("many-" + i);
      names.add(k);
      if (i % 3 == 1) {
        b.set(k, bytes("value-" + i), Duration.ofSeconds(30 + i));
      }
    }
    List<CompletableFuture<RedisBackend.ValueTtl>> asked = new ArrayList<>();
    for (int round = 0; round < 5; round++) {
      for (byte[] k : names) {
        asked.add(b.getWithTtlAsync(k));
      }
    }
    for (int j = 0; j < asked.size(); j++) {
      int i = j % keys;
      RedisBackend.ValueTtl got = asked.get(j).get(10, TimeUnit.SECONDS);
      if (i % 3 == 1) {
        assertThat(got.value()).as("key %d", i).isEqualTo(bytes("value-" + i));
        assertThat(got.pttlMillis()).as("key %d", i).isBetween(1L, 1_000L * (30 + i));
      } else {
        assertThat(got).as("key %d", i).isEqualTo(RedisBackend.ValueTtl.ABSENT);
      }
    }
  }

  @Test
  void mgetWithTtlKeepsTheOrderAskedAcrossSlots() throws Exception {
    RedisBackend b = backend();
    List<byte[]> keys = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      byte[] k = key("mttl-" + i);
      keys.add(k);
      if (i % 3 != 2) {
        b.set(k, bytes("v" + i), Duration.ofSeconds(10 + i));
      }
    }
    for (List<RedisBackend.ValueTtl> got : List.of(b.mgetWithTtl(keys),
        b.mgetWithTtlAsync(keys).get(10, TimeUnit.SECONDS))) {
      assertThat(got).hasSize(keys.size());
      for (int i = 0; i < keys.size(); i++) {
        if (i % 3 == 2) {
          assertThat(got.get(i)).as("key %d", i).isEqualTo(RedisBackend.ValueTtl.ABSENT);
        } else {
          assertThat(got.get(i).value()).as("key %d", i).containsExactly(bytes("v" + i));
          assertThat(got.get(i).pttlMillis()).as("ttl %d", i)
              .isBetween((10L + i) * 1000 - 5_000, (10L + i) * 1000);
        }
      }
    }
    assertThat(b.mgetWithTtl(List.of())).isEmpty();
  }

  @Test
  void delDeletesManyKeysAcrossSlots() throws Exception {
    RedisBackend b = backend();
    List<byte[]> keys = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      byte[] k = key("del-" + i);
      keys.add(k);
      b.set(k, bytes("v"), Duration.ofMinutes(1));
    }
    assertThat(b.del(keys.subList(0, 20))).isEqualTo(20L);
    List<byte[]> rest = new ArrayList<>(keys.subList(15, 30)); // 5 already gone
    assertThat(b.delAsync(rest).get(10, TimeUnit.SECONDS)).isEqualTo(10L);
    assertThat(b.mget(keys)).allMatch(v -> v == null);
    assertThat(b.del(List.of())).isZero();
  }

  @Test
  void deleteMatchingDeletesOnlyMatchingKeysOnEveryNode() throws Exception {
    RedisBackend b = backend();
    String prefix = "scaleblocks:test:backend:match:" + UUID.randomUUID() + ":";
    List<byte[]> matching = new ArrayList<>();
    for (int i = 0; i < 1200; i++) {
      byte[] k = bytes(prefix + i);
      matching.add(k);
      b.set(k, bytes("v"), Duration.ofMinutes(1));
    }
    byte[] other = key("not-matching");
    b.set(other, bytes("v"), Duration.ofMinutes(1));
    assertThat(b.deleteMatching(bytes(prefix.substring(0, prefix.length() - 1) + "?5*"))).isEqualTo(111L);
    assertThat(b.deleteMatchingAsync(bytes(prefix + "*")).get(30, TimeUnit.SECONDS)).isEqualTo(1089L);
    assertThat(b.mget(matching)).allMatch(v -> v == null);
    assertThat(b.get(other)).containsExactly(bytes("v"));
  }

  /** Records what a subscription reports, in order. */
  static final class Recorder implements RedisBackend.SubscriptionListener {
    final List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
    final java.util.concurrent.LinkedBlockingQueue<byte[]> messages = new java.util.concurrent.LinkedBlockingQueue<>();

    @Override
    public void onSubscribed() {
      events.add("subscribed");
    }

    @Override
    public void onMessage(byte[] message) {
      messages.add(message);
    }

    @Override
    public void onLost(String reason) {
      events.add("lost");
    }

    long count(String event) {
      synchronized (events) {
        return events.stream().filter(event::equals).count();
      }
    }
  }

  @Test
  void aSubscriptionReceivesShardedPublishesAndComesBackAfterReconnect() throws Exception {
    RedisBackend b = backend();
    byte[] channel = key("sub");
    Recorder r = new Recorder();
    try (RedisBackend.Subscription s = b.subscribe(channel, r)) {
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> r.count("subscribed") == 1);
      byte[] message = everyByte();
      assertThat(b.publishSharded(channel, message)).isEqualTo(1L);
      assertThat(r.messages.poll(10, TimeUnit.SECONDS)).containsExactly(message);

      s.reconnect();
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> r.count("subscribed") == 2);
      assertThat(r.events).containsExactly("subscribed", "lost", "subscribed");
      assertThat(b.publishShardedAsync(channel, bytes("again")).get(10, TimeUnit.SECONDS)).isEqualTo(1L);
      assertThat(r.messages.poll(10, TimeUnit.SECONDS)).containsExactly(bytes("again"));
    }
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> b.publishSharded(channel, bytes("x")) == 0L);
    assertThat(r.events).containsExactly("subscribed", "lost", "subscribed");
  }

  @Test
  void aSubscriptionReportsAServerRestartOnceAndSubscribesAgain() throws Exception {
    ThrowawayRedis server = server();
    RedisBackend b = onThrowaway(server, Duration.ofSeconds(2));
    byte[] channel = key("restart");
    Recorder r = new Recorder();
    RedisBackend.Subscription s = b.subscribe(channel, r);
    try {
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> r.count("subscribed") == 1);
      server.kill();
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> r.count("lost") == 1);
      server.restart();
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> r.count("subscribed") == 2);
      assertThat(r.events).containsExactly("subscribed", "lost", "subscribed");
      Awaitility.await().atMost(Duration.ofSeconds(10)).ignoreExceptions() // a pooled connection the restart broke
          .until(() -> b.publishSharded(channel, bytes("back")) == 1L);
      assertThat(r.messages.poll(10, TimeUnit.SECONDS)).containsExactly(bytes("back"));
    } finally {
      s.close();
    }
  }

  @Test
  void timeIsTheServersClock() throws Exception {
    RedisBackend b = backend();
    long local = System.currentTimeMillis() * 1000;
    long remote = b.timeMicros();
    long async = b.timeMicrosAsync().get(10, TimeUnit.SECONDS);
    System.out.printf("TIME - local clock: %d us%n", remote - local);
    // the same machine's clock: a generous bound only catches units gone wrong
    assertThat(Math.abs(remote - local)).isLessThan(TimeUnit.SECONDS.toMicros(5));
    assertThat(async).isGreaterThanOrEqualTo(remote);
  }

  // ---- asynchronous forms

  @Test
  void asynchronousFormsCompleteWhereTheContractSays() throws Exception {
    RedisBackend b = backend();
    assertThat(b.nonBlocking()).isEqualTo(completesOnIoThread());
    byte[] k = key("async");
    AtomicReference<String> completedOn = new AtomicReference<>();
    CompletableFuture<Object> f = b.evalAsync(NUMBER, List.of(k), List.of());
    CompletableFuture<Object> observed =
        f.whenComplete((v, e) -> completedOn.compareAndSet(null, Thread.currentThread().getName()));
    assertThat(observed.get(10, TimeUnit.SECONDS)).isEqualTo(42L);
    String caller = Thread.currentThread().getName();
    if (completesOnIoThread()) {
      // a stage attached after completion runs on the caller; one attached before, on the I/O
      // thread: send a slow-ish batch and attach at once, then check where at least one ran
      List<String> threads = new ArrayList<>();
      List<CompletableFuture<?>> all = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        all.add(b.getAsync(k).whenComplete((v, e) -> {
          synchronized (threads) {
            threads.add(Thread.currentThread().getName());
          }
        }));
      }
      CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).get(10, TimeUnit.SECONDS);
      assertThat(threads).as("completed on the client's I/O threads")
          .anyMatch(t -> t.startsWith(ioThreadPrefix()));
    } else {
      assertThat(f).as("a blocking client's future is complete on return").isDone();
      assertThat(completedOn.get()).isEqualTo(caller);
    }
  }

  // ---- failures

  @Test
  void aDeadServerFailsTheCallRatherThanHangingIt() throws Exception {
    ThrowawayRedis server = server();
    RedisBackend b = onThrowaway(server, Duration.ofSeconds(2));
    byte[] k = key("dead");
    b.set(k, bytes("v"), Duration.ofMinutes(1)); // connected and working
    server.kill();
    long start = System.nanoTime();
    assertThatThrownBy(() -> b.get(k)).isInstanceOf(RuntimeException.class);
    long syncMillis = (System.nanoTime() - start) / 1_000_000;
    start = System.nanoTime();
    CompletableFuture<byte[]> f = b.getAsync(k);
    assertThatThrownBy(() -> f.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
    long asyncMillis = (System.nanoTime() - start) / 1_000_000;
    start = System.nanoTime();
    assertThatThrownBy(() -> b.eval(NUMBER, List.of(k), List.of())).isInstanceOf(RuntimeException.class);
    long evalMillis = (System.nanoTime() - start) / 1_000_000;
    System.out.printf("%s on a killed server: get failed after %d ms, getAsync after %d ms, "
        + "eval after %d ms%n", b.client(), syncMillis, asyncMillis, evalMillis);
    assertThat(Math.max(syncMillis, Math.max(asyncMillis, evalMillis))).isLessThan(20_000);
  }

  @Test
  void aServerThatStopsAnsweringFailsTheCallWithinTheClientTimeout() throws Exception {
    ThrowawayRedis server = server();
    RedisBackend b = onThrowaway(server, Duration.ofSeconds(1));
    byte[] k = key("paused");
    b.set(k, bytes("v"), Duration.ofMinutes(1));
    server.pause();
    try {
      long start = System.nanoTime();
      assertThatThrownBy(() -> b.get(k)).isInstanceOf(RuntimeException.class);
      long syncMillis = (System.nanoTime() - start) / 1_000_000;
      start = System.nanoTime();
      CompletableFuture<byte[]> f = b.getAsync(k);
      assertThatThrownBy(() -> f.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
      long asyncMillis = (System.nanoTime() - start) / 1_000_000;
      System.out.printf("%s on a paused server (1 s timeout): get failed after %d ms, getAsync "
          + "after %d ms%n", b.client(), syncMillis, asyncMillis);
      assertThat(Math.max(syncMillis, asyncMillis)).isLessThan(20_000);
    } finally {
      server.resume();
    }
  }

  @Test
  void rejectsNullArguments() {
    RedisBackend b = backend();
    assertThatThrownBy(() -> b.get(null)).hasMessage("key must not be null");
    assertThatThrownBy(() -> b.eval(null, List.of(), List.of())).hasMessage("script must not be null");
    assertThatThrownBy(() -> b.mget(Arrays.asList(key("a"), null)))
        .hasMessage("keys must not contain null");
    assertThatThrownBy(() -> b.set(key("a"), bytes("v"), Duration.ZERO))
        .hasMessage("ttl must be at least 1 ms but was PT0S");
    assertThatThrownBy(() -> RedisBackends.of("not a client"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("java.lang.String");
  }
}
