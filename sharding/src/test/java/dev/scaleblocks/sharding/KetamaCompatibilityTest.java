package dev.scaleblocks.sharding;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.spy.memcached.DefaultHashAlgorithm;
import net.spy.memcached.KetamaNodeLocator;
import net.spy.memcached.MemcachedNode;
import org.junit.jupiter.api.Test;

/** The ketama ring against spymemcached's KetamaNodeLocator: the same server for every key. */
class KetamaCompatibilityTest {

  /** A MemcachedNode that only knows its address, which is all the locator reads. */
  private static MemcachedNode node(InetSocketAddress address) {
    return (MemcachedNode)
        Proxy.newProxyInstance(
            MemcachedNode.class.getClassLoader(),
            new Class<?>[] {MemcachedNode.class},
            (proxy, method, args) -> {
              switch (method.getName()) {
                case "getSocketAddress":
                  return address;
                case "toString":
                  return "node " + address;
                case "hashCode":
                  return System.identityHashCode(proxy);
                case "equals":
                  return proxy == args[0];
                default:
                  throw new UnsupportedOperationException(method.getName());
              }
            });
  }

  private static String randomKey(SplittableRandom random) {
    StringBuilder sb = new StringBuilder();
    int len = 1 + random.nextInt(40);
    for (int i = 0; i < len; i++) {
      sb.append((char) ('!' + random.nextInt(94)));
    }
    if (random.nextInt(20) == 0) {
      sb.append('\u00e9').append('\u4e2d'); // some non-ASCII keys
    }
    return sb.toString();
  }

  @Test
  void sameServerAsSpymemcachedForOneHundredThousandKeys() {
    for (int servers : new int[] {1, 3, 10, 57}) {
      List<MemcachedNode> nodes = new ArrayList<>();
      ShardRouter.Builder<String> builder = ShardRouter.ketama();
      for (int i = 0; i < servers; i++) {
        InetSocketAddress address = new InetSocketAddress("10.0." + (i / 200) + "." + (i % 200 + 1), 11211 + i % 3);
        nodes.add(node(address));
        String name = address.toString().substring(1); // "10.0.0.1:11211", spymemcached's node key
        builder.shard(name, name);
      }
      KetamaNodeLocator spy = new KetamaNodeLocator(nodes, DefaultHashAlgorithm.KETAMA_HASH);
      ShardRouter<String> ours = builder.build();
      SplittableRandom random = new SplittableRandom(servers);
      int keys = servers == 10 ? 100_000 : 20_000;
      for (int k = 0; k < keys; k++) {
        String key = randomKey(random);
        String expected = spy.getPrimary(key).getSocketAddress().toString().substring(1);
        assertThat(ours.route(key)).as("key %s with %d servers", key, servers).isEqualTo(expected);
        assertThat(ShardHashes.ketamaHash(key)).isEqualTo(DefaultHashAlgorithm.KETAMA_HASH.hash(key));
      }
      for (long id = -500; id < 2_000; id++) {
        String expected = spy.getPrimary(Long.toString(id)).getSocketAddress().toString().substring(1);
        assertThat(ours.route(id)).as("numeric key %d", id).isEqualTo(expected);
      }
    }
  }

  @Test
  void fastModeKeepsThePlacementButHashesKeysWithXxHash() {
    ShardRouter<String> md5 = ShardRouter.<String>ketama().shard("a:1", "a").shard("b:1", "b").build();
    ShardRouter<String> fast =
        ShardRouter.<String>ketama().keyHash(KeyHash.XXHASH64).shard("a:1", "a").shard("b:1", "b").build();
    assertThat(((KetamaRouter<String>) fast).ring).isEqualTo(((KetamaRouter<String>) md5).ring);
    assertThat(((KetamaRouter<String>) fast).ring).hasSize(320);
  }
}
