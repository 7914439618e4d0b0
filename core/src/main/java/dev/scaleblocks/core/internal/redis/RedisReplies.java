package dev.scaleblocks.core.internal.redis;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.util.List;
import org.jspecify.annotations.Nullable;

/** Reading replies both clients give in the same shape. */
final class RedisReplies {

  private RedisReplies() {}

  /** TIME's reply, {@code [seconds, microseconds]} as bulk strings, in microseconds. */
  static long timeMicros(@Nullable Object reply) {
    if (reply instanceof List<?> parts && parts.size() == 2) {
      return Math.addExact(
          Math.multiplyExact(number(parts.get(0)), 1_000_000L), number(parts.get(1)));
    }
    throw new IllegalStateException("unexpected reply to TIME: " + reply);
  }

  private static long number(@Nullable Object part) {
    if (part instanceof byte[] bytes) {
      return Long.parseLong(new String(bytes, US_ASCII));
    }
    if (part instanceof String s) {
      return Long.parseLong(s);
    }
    if (part instanceof Long l) {
      return l;
    }
    throw new IllegalStateException("unexpected part of a TIME reply: " + part);
  }
}
