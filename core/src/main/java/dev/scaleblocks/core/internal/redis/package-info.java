/**
 * The one Redis backend contract the blocks talk through ({@link
 * dev.scaleblocks.core.internal.redis.RedisBackend}), with a Jedis implementation (the default)
 * and a Lettuce one (an optional dependency, loaded only when a Lettuce client is passed). Not an
 * API: exported to the scaleblocks modules only, and may change in any release.
 */
@NullMarked
package dev.scaleblocks.core.internal.redis;

import org.jspecify.annotations.NullMarked;
