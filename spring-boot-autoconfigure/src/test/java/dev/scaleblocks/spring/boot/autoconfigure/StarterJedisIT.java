package dev.scaleblocks.spring.boot.autoconfigure;

/** The two Boot applications with a {@code UnifiedJedis} bean of their own for every block. */
class StarterJedisIT extends StarterContract {
  @Override
  String client() {
    return "jedis";
  }
}
