package dev.scaleblocks.cache;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out the writes of one cache to its L2: an {@link L2Write} intent with its envelope,
 * tombstones of invalidations, and the repair of keys whose write could not reach Redis (see
 * {@link RepairQueue}); tells the other instances through the invalidation bus when there is one.
 * Exists only for caches with an L2.
 *
 * <h2>Tags in Redis</h2>
 *
 * <p>Each tag is one sorted set, {@code <keyPrefix>\0tag\0<tag>}, whose members are the Redis keys
 * of the entries written with the tag, each scored with its expiry on Redis' clock. The design
 * choice, against a tag generation stamped in each envelope and checked on read: a set costs
 * nothing on the read path (an L2 hit stays one GET + PTTL, where a generation check is one more
 * read per get, on another node in a Cluster), and an invalidation costs what the tag holds
 * (taking the members, one tombstone per member) rather than a constant; a tag invalidation is
 * rarer than a read. The set is one key, so it lives in one slot: its scripts never touch another
 * key (no CROSSSLOT on a Cluster), and the members' tombstones go node by node like any bulk
 * invalidation. Bounded: every member carries its expiry, each add first drops the expired ones
 * (amortised once per member), and the set itself expires with its longest-lived member.
 *
 * <p>Ordering against a concurrent invalidation, which takes the members page by page ({@link
 * RedisTier#TAG_TAKE}) and then tombstones them:
 *
 * <ul>
 *   <li>a <b>put</b> sets the value first, then files the key. A take before the filing leaves
 *       both value and membership in place (the put came after the invalidation); a take after
 *       it tombstones the value. Filing first would let a take fall between filing and SET and
 *       leave a value that no later invalidation finds. A filing that fails queues the key's
 *       repair (a tombstone), so no tagged value stays in Redis unfiled.
 *   <li>a <b>load</b> files the key before it calls the loader (for the longest lifetime an
 *       entry can have) and again after its conditional write (for the one it got). An
 *       invalidation that takes the key tombstones it, which fails or replaces the load's
 *       write-if-unchanged; one that does not find it began before the loader ran, so the loader
 *       saw the data it invalidated for. A load that cannot file its key writes L1 only.
 * </ul>
 *
 * <p>A tag invalidation that cannot reach Redis is remembered (at most {@value #MAX_PENDING_TAGS}
 * tags; beyond, the whole cache is flushed) and carried out, then published again, when Redis
 * answers.
 *
 * <p>Thread-safe. Cost: each method is one Redis round trip (bounded by the L2 timeout) on the
 * calling thread, except the {@code ...Async} ones, which do not wait for Redis on a {@linkplain
 * RedisTier#nonBlocking non-blocking} tier; publishing only queues; a repair runs at most one at a
 * time.
 */
final class L2Writer {

  private static final Logger log = LoggerFactory.getLogger(L2Writer.class);
  private static final int REPAIR_BATCH = 1000;
  /** Members a tag invalidation takes from Redis at a time. */
  static final int TAG_PAGE = 1000;
  static final int MAX_PENDING_TAGS = 10_000;

  private final String name;
  private final RedisTier tier;
  private final L1Tier<?, ?> l1;
  private final Encoding<?, ?> encoding;
  private final CacheMetrics metrics;
  private final @Nullable InvalidationBus bus;
  private final RepairQueue repairs;
  private final long tombstoneMillis;
  private final dev.scaleblocks.core.Ticker ticker;
  private final byte[] tagKeyPrefix;
  /** The longest an L2 entry can live: what a load files its key for before it knows its lifetime. */
  private final long longestPx;
  private final Set<String> pendingTags = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean pendingTagsOverflowed = new AtomicBoolean();
  private final byte[] keyPrefix;

  L2Writer(CacheConfig config, RedisTier tier, L1Tier<?, ?> l1, Encoding<?, ?> encoding,
      CacheMetrics metrics, RepairQueue repairs, @Nullable InvalidationBus bus) {
    this.name = config.name;
    this.tier = tier;
    this.l1 = l1;
    this.encoding = encoding;
    this.metrics = metrics;
    this.bus = bus;
    this.repairs = repairs;
    this.tombstoneMillis = Math.max(10_000, 2 * config.leaseMillis);
    this.ticker = config.ticker;
    this.keyPrefix = config.keyPrefix;
    byte[] marker = Encoding.TAG_MARKER;
    this.tagKeyPrefix = new byte[config.keyPrefix.length + marker.length];
    System.arraycopy(config.keyPrefix, 0, tagKeyPrefix, 0, config.keyPrefix.length);
    System.arraycopy(marker, 0, tagKeyPrefix, config.keyPrefix.length, marker.length);
    long staleMillis = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(config.staleNanos);
    long negativeMillis = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(config.negativeTtlNanos);
    this.longestPx = Math.max(config.l2TtlMillis, negativeMillis) + staleMillis;
  }

  RedisTier tier() {
    return tier;
  }

  /**
   * Writes what {@code intent} says of one stored value: {@code envelope} (present when the intent
   * {@linkplain L2Write#sendsValue sends the value}) with its PX; a conditional write only when the L1
   * took the value ({@code installed}).
   */
  void write(L2Write intent, byte @Nullable [] envelope, long px, boolean installed) {
    if (intent instanceof L2Write.Overwrite o) {
      if (envelope == null) {
        return;
      }
      TagSet tags = o.tags();
      if (tier.set(o.rkey(), envelope, px) && (tags == null || tier.addToTags(tagKeys(tags), o.rkey(), px))) {
        repairs.remove(o.rkey());
      } else {
        metrics.l2WriteFailures.increment();
        repairs.schedule(o.rkey());
      }
    } else if (intent instanceof L2Write.IfUnchanged c) {
      if (envelope != null && installed && !tier.setIfVersion(c.rkey(), envelope, px, c.expectedVersion())) {
        metrics.l2WriteFailures.increment();
      } else if (envelope != null && installed && c.tags() != null
          && !tier.addToTags(tagKeys(java.util.Objects.requireNonNull(c.tags())), c.rkey(), px)) {
        // still filed for the longest lifetime by fileBeforeLoad; a read queues no repair
        metrics.l2WriteFailures.increment();
      }
    } else if (intent instanceof L2Write.Deferred d) {
      defer(d.rkey());
    }
  }

  /**
   * The write of a put ({@code envelope} to {@code rkey}) as a future: on a {@linkplain
   * RedisTier#nonBlocking non-blocking} tier sent from the calling thread and settled (repairs) on
   * the client's I/O thread. Never completes exceptionally.
   */
  CompletableFuture<Void> overwriteAsync(byte[] rkey, byte[] envelope, long px) {
    return tier.setAsync(rkey, envelope, px).thenAccept(written -> {
      if (written) {
        repairs.remove(rkey);
      } else {
        metrics.l2WriteFailures.increment();
        repairs.schedule(rkey);
      }
    });
  }

  /** {@link #invalidate} as a future; see {@link #overwriteAsync} for its threads. */
  CompletableFuture<Void> invalidateAsync(List<byte[]> rkeys) {
    return tier.setAllAsync(rkeys, tombstones(rkeys), tombstonePx(rkeys.size()))
        .thenAccept(written -> settle(written, rkeys));
  }

  /** Counts a write of {@code rkey} that did not ask Redis, and queues its repair. */
  void defer(byte[] rkey) {
    metrics.l2WriteFailures.increment();
    repairs.schedule(rkey);
  }

  /** Writes the values of a put of several keys; a failure queues them all for repair. */
  void setAll(List<byte[]> rkeys, List<byte[]> envelopes, long[] px) {
    settle(tier.setAll(rkeys, envelopes, px), rkeys);
  }

  /** Writes the values of bulk loads, each only if L2 still holds what the load read. */
  void setAllIfVersion(List<byte[]> rkeys, List<byte[]> envelopes, long[] px, List<byte[]> expected) {
    if (!tier.setAllIfVersion(rkeys, envelopes, px, expected)) {
      metrics.l2WriteFailures.add(rkeys.size());
    }
  }

  /** Writes the tombstones of an invalidation; a failure queues them for repair. */
  void invalidate(List<byte[]> rkeys) {
    settle(writeTombstones(rkeys), rkeys);
  }

  /**
   * Files {@code rkey} under {@code tags} before a load calls its loader, for the longest lifetime
   * an entry can have (see the class comment). {@code false}: Redis was not reached, and the load
   * must not write L2.
   */
  boolean fileBeforeLoad(TagSet tags, byte[] rkey) {
    return tier.addToTags(tagKeys(tags), rkey, longestPx);
  }

  /**
   * Drops from L2 every entry filed under {@code tag} (page by page, each page tombstoned node by
   * node like {@link #invalidate}), then tells the other instances to drop the tag from their L1.
   * Cost: proportional to the tag's members: one EVALSHA per {@value #TAG_PAGE} members and their
   * tombstones. When Redis is not reached the tag is remembered and repaired later.
   *
   * @return the entries dropped from L2, or -1 when Redis was not reached
   */
  int invalidateTag(String tag) {
    int dropped = dropTagged(tag);
    if (dropped < 0) {
      metrics.l2WriteFailures.increment();
      if (pendingTags.size() < MAX_PENDING_TAGS) {
        pendingTags.add(tag);
      } else {
        pendingTagsOverflowed.set(true);
      }
    } else {
      metrics.tagEntriesL2.add(dropped);
    }
    InvalidationBus b = bus;
    if (b != null) {
      b.publishTag(tag);
    }
    return dropped;
  }

  private int dropTagged(String tag) {
    byte[] key = tagKey(tag);
    int total = 0;
    while (true) {
      List<byte[]> members = tier.takeTagMembers(key, TAG_PAGE);
      if (members == null) {
        return -1; // what is left in the set is taken by the repair
      }
      if (!members.isEmpty()) {
        invalidate(members); // a failure queues their repairs
        total += members.size();
      }
      if (members.size() < TAG_PAGE) {
        return total;
      }
    }
  }

  /** The Redis key of {@code tag}'s sorted set. */
  byte[] tagKey(String tag) {
    byte[] t = tag.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] out = Arrays.copyOf(tagKeyPrefix, tagKeyPrefix.length + t.length);
    System.arraycopy(t, 0, out, tagKeyPrefix.length, t.length);
    return out;
  }

  private List<byte[]> tagKeys(TagSet tags) {
    List<byte[]> keys = new ArrayList<>(tags.names.length);
    for (String tag : tags.names) {
      keys.add(tagKey(tag));
    }
    return keys;
  }

  /** Deletes every key of the cache's prefix (see {@link RedisTier#deleteByPrefix}). */
  void deleteByPrefix(byte[] prefix) {
    if (!tier.deleteByPrefix(prefix)) {
      metrics.l2WriteFailures.increment();
    }
  }

  private void settle(boolean written, List<byte[]> rkeys) {
    if (!written) {
      metrics.l2WriteFailures.add(rkeys.size());
    }
    repairs.settle(written, rkeys);
  }

  private boolean writeTombstones(List<byte[]> rkeys) {
    return tier.setAll(rkeys, tombstones(rkeys), tombstonePx(rkeys.size()));
  }

  private List<byte[]> tombstones(List<byte[]> rkeys) {
    List<byte[]> tombstones = new ArrayList<>(rkeys.size());
    long wall = l1.wallMillis(ticker.read());
    for (int i = 0; i < rkeys.size(); i++) {
      tombstones.add(Envelope.tombstone(l1.nextVersion(), wall));
    }
    return tombstones;
  }

  private long[] tombstonePx(int n) {
    long[] px = new long[n];
    Arrays.fill(px, tombstoneMillis);
    return px;
  }

  /** Tells the other instances that the keys {@code keyBytes} changed (no-op without a bus). */
  void publishKeys(List<byte[]> keyBytes) {
    InvalidationBus b = bus;
    if (b != null) {
      b.publishKeys(keyBytes);
    }
  }

  /** Tells the other instances to clear their L1 (no-op without a bus). */
  void publishAll() {
    InvalidationBus b = bus;
    if (b != null) {
      b.publishAll();
    }
  }

  /**
   * Retries the tombstones of failed writes: on the invalidation publisher's tick (without
   * invalidation, on the executor when the shared repair timer finds some waiting) and around a tag
   * invalidation.
   */
  void repair() {
    repairTags();
    repairs.retry(REPAIR_BATCH, batch -> {
      if (!writeTombstones(batch)) {
        return false;
      }
      List<byte[]> keyBytes = new ArrayList<>(batch.size());
      for (byte[] rk : batch) {
        keyBytes.add(encoding.keyBytes(rk));
      }
      publishKeys(keyBytes);
      log.info("cache {}: {} key(s) that missed redis during an outage are repaired", name, batch.size());
      return true;
    });
  }

  /** Carries out the tag invalidations that did not reach Redis, and publishes them again. */
  private void repairTags() {
    if (pendingTagsOverflowed.get() && !tier.refusing()) {
      if (tier.deleteByPrefix(keyPrefix)) {
        pendingTagsOverflowed.set(false);
        pendingTags.clear();
        publishAll();
        log.info("cache {}: more tag invalidations missed redis than are remembered; flushed the cache", name);
      }
      return;
    }
    for (String tag : List.copyOf(pendingTags)) {
      if (tier.refusing() || dropTagged(tag) < 0) {
        return;
      }
      pendingTags.remove(tag);
      metrics.tagEntriesL1.add(l1.invalidateTag(tag)); // what this instance read back meanwhile
      InvalidationBus b = bus;
      if (b != null) {
        b.publishTag(tag);
      }
      log.info("cache {}: a tag invalidation that missed redis during an outage is repaired", name);
    }
  }

  /** Tag invalidations waiting for a repair. */
  int pendingTags() {
    return pendingTags.size();
  }

  /** Keys waiting for a repair. */
  int pendingRepairs() {
    return repairs.size();
  }
}
