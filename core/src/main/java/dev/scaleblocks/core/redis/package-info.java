/**
 * Running Lua scripts on Redis with one round trip: {@link dev.scaleblocks.core.redis.RedisScript}
 * and {@link dev.scaleblocks.core.redis.ScriptRunner}. Needs Jedis on the class path (an optional
 * dependency of core).
 */
@NullMarked
package dev.scaleblocks.core.redis;

import org.jspecify.annotations.NullMarked;
