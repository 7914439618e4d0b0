package dev.scaleblocks.ratelimit;

/**
 * The four algorithms as integer arithmetic on a small state array, in milliseconds. The Lua
 * script {@code ratelimit.lua} is a line-by-line transcription of this class, so that every store
 * decides identically; change both together.
 *
 * <p>State: three longs per limit, at {@code 3 × index}:
 *
 * <ul>
 *   <li>TOKEN_BUCKET: tokens {@code t}, last refill {@code l}, refill remainder {@code r} (in units
 *       of token·ms, {@code 0 ≤ r < period}); a fresh key is full. Refill is greedy and exact:
 *       {@code elapsed × quota + r} is divided by the period, the remainder kept (as bucket4j does).
 *   <li>GCRA: debt {@code d} in units of ms/quota (one permit adds {@code period}), last time
 *       {@code l}; admitted while {@code d + n × period ≤ capacity × period}.
 *   <li>FIXED_WINDOW: window index {@code w}, count {@code c}.
 *   <li>SLIDING_WINDOW: window index {@code w}, count {@code c}, previous window's count {@code p};
 *       the estimate is {@code ceil(p × (period − elapsed) / period) + c}.
 * </ul>
 *
 * <p>The limits may change between two calls on one state (a policy updated at runtime, its
 * algorithm and periods unchanged): a token bucket holding more tokens than its new capacity is
 * clamped to it; a GCRA debt or a window count above a new lower limit is kept, and refuses until
 * it has drained or the window has rolled; a higher limit applies at once to the state as it is.
 *
 * <p>Several limits are decided all or nothing: every limit is brought to {@code now}, the
 * smallest availability decides, and only an admitted request changes the state. The binding
 * limit is the one with the fewest permits left (admitted) or the longest wait (rejected); ties go
 * to the first.
 *
 * <p>Pure functions on the array passed in; not thread-safe by itself (callers copy and CAS).
 */
final class CounterMath {

  static final long FRESH = Long.MIN_VALUE;

  private CounterMath() {}

  static long ceilDiv(long a, long b) {
    return -Math.floorDiv(-a, b);
  }

  /** A state array for {@code limits} limits as a fresh key has it. */
  static long[] fresh(int limits) {
    long[] s = new long[3 * limits];
    for (int i = 0; i < limits; i++) {
      s[3 * i] = FRESH;
      s[3 * i + 1] = FRESH;
    }
    return s;
  }

  /**
   * Decides {@code n} permits (taking up to {@code max} when available) at {@code now}, updating
   * {@code s} in place when admitted.
   */
  static StoreAnswer decide(Algorithm alg, LimitSpec[] limits, long[] s, long now, long n, long max) {
    long minAvail = Long.MAX_VALUE;
    for (int i = 0; i < limits.length; i++) {
      advance(alg, limits[i], s, 3 * i, now);
      minAvail = Math.min(minAvail, avail(alg, limits[i], s, 3 * i, now));
    }
    if (minAvail < n) {
      int binding = 0;
      long worst = -1;
      for (int i = 0; i < limits.length; i++) {
        if (avail(alg, limits[i], s, 3 * i, now) < n) {
          long wait = retry(alg, limits[i], s, 3 * i, now, n);
          if (wait > worst) {
            worst = wait;
            binding = i;
          }
        }
      }
      LimitSpec b = limits[binding];
      return new StoreAnswer(false, 0, binding, b.capacity(), avail(alg, b, s, 3 * binding, now),
          reset(alg, b, s, 3 * binding, now), Math.max(1, worst), now);
    }
    long granted = Math.min(max, minAvail);
    int binding = 0;
    long least = Long.MAX_VALUE;
    for (int i = 0; i < limits.length; i++) {
      consume(alg, limits[i], s, 3 * i, granted);
      long left = avail(alg, limits[i], s, 3 * i, now);
      if (left < least) {
        least = left;
        binding = i;
      }
    }
    LimitSpec b = limits[binding];
    return new StoreAnswer(true, granted, binding, b.capacity(), least,
        reset(alg, b, s, 3 * binding, now), 0, now);
  }

  static void advance(Algorithm alg, LimitSpec spec, long[] s, int o, long now) {
    long q = spec.quota();
    long p = spec.periodMillis();
    long c = spec.capacity();
    switch (alg) {
      case TOKEN_BUCKET -> {
        if (s[o + 1] == FRESH) {
          s[o] = c;
          s[o + 1] = now;
          s[o + 2] = 0;
          return;
        }
        if (s[o] > c) { // the capacity was lowered: the excess tokens are gone
          s[o] = c;
          s[o + 2] = 0;
        }
        long el = now - s[o + 1];
        if (el <= 0) {
          return;
        }
        if (s[o] < c) {
          long need = (c - s[o]) * p - s[o + 2];
          if (el >= ceilDiv(need, q)) {
            s[o] = c;
            s[o + 2] = 0;
          } else {
            long x = el * q + s[o + 2];
            s[o] += x / p;
            s[o + 2] = x % p;
          }
        }
        s[o + 1] = now;
      }
      case GCRA -> {
        if (s[o + 1] == FRESH) {
          s[o] = 0;
          s[o + 1] = now;
          return;
        }
        long el = now - s[o + 1];
        if (el <= 0) {
          return;
        }
        if (s[o] > 0) {
          s[o] = el >= ceilDiv(s[o], q) ? 0 : s[o] - el * q;
        }
        s[o + 1] = now;
      }
      case FIXED_WINDOW -> {
        long w = Math.floorDiv(now, p);
        if (s[o] == FRESH || w > s[o]) {
          s[o] = w;
          s[o + 1] = 0;
        }
      }
      case SLIDING_WINDOW -> {
        long w = Math.floorDiv(now, p);
        if (s[o] == FRESH) {
          s[o] = w;
          s[o + 1] = 0;
          s[o + 2] = 0;
        } else if (w > s[o]) {
          s[o + 2] = w == s[o] + 1 ? s[o + 1] : 0;
          s[o + 1] = 0;
          s[o] = w;
        }
      }
    }
  }

  private static long elapsedInWindow(LimitSpec spec, long[] s, int o, long now) {
    return Math.max(0, Math.min(spec.periodMillis() - 1, now - s[o] * spec.periodMillis()));
  }

  private static long previousWeighted(LimitSpec spec, long[] s, int o, long now) {
    long p = spec.periodMillis();
    return ceilDiv(s[o + 2] * (p - elapsedInWindow(spec, s, o, now)), p);
  }

  /** Permits that could be taken now (state already advanced). */
  static long avail(Algorithm alg, LimitSpec spec, long[] s, int o, long now) {
    return switch (alg) {
      case TOKEN_BUCKET -> s[o];
      case GCRA -> gcraAvail(spec, s, o);
      case FIXED_WINDOW -> Math.max(0, spec.quota() - s[o + 1]);
      case SLIDING_WINDOW ->
          Math.max(0, spec.quota() - previousWeighted(spec, s, o, now) - s[o + 1]);
    };
  }

  /**
   * Gives back {@code n} permits admitted at {@code at} (the store's clock then) at {@code now},
   * to every limit, updating {@code s} in place; returns whether any limit changed. Each limit
   * gets back what the admission took from it and never more than it can hold:
   *
   * <ul>
   *   <li>TOKEN_BUCKET: {@code n} tokens back, never above the capacity;
   *   <li>GCRA: the debt (the TAT) moved back by {@code n} emission intervals, never below now;
   *   <li>FIXED_WINDOW: the count lowered by {@code n} when the admission fell in the current
   *       window, else nothing (that window's count is gone);
   *   <li>SLIDING_WINDOW: the count of the window the admission fell in lowered by {@code n}, when
   *       that window is the current or the previous one; else nothing.
   * </ul>
   *
   * A key with no state (fresh, expired or evicted) is left alone: it is full already. So a
   * refund never leaves a limit with more quota than it would have had without the admission.
   */
  static boolean refund(Algorithm alg, LimitSpec[] limits, long[] s, long now, long n, long at) {
    boolean changed = false;
    for (int i = 0; i < limits.length; i++) {
      int o = 3 * i;
      boolean bucket = alg == Algorithm.TOKEN_BUCKET || alg == Algorithm.GCRA;
      boolean fresh = bucket ? s[o + 1] == FRESH : s[o] == FRESH;
      if (fresh) {
        continue;
      }
      advance(alg, limits[i], s, o, now);
      changed |= giveBack(alg, limits[i], s, o, n, at);
    }
    return changed;
  }

  /** One limit's part of {@link #refund}, on a state brought to now. */
  static boolean giveBack(Algorithm alg, LimitSpec spec, long[] s, int o, long n, long at) {
    long p = spec.periodMillis();
    switch (alg) {
      case TOKEN_BUCKET -> {
        if (s[o] >= spec.capacity()) {
          return false;
        }
        if (s[o] + n >= spec.capacity()) {
          s[o] = spec.capacity();
          s[o + 2] = 0;
        } else {
          s[o] += n;
        }
        return true;
      }
      case GCRA -> {
        if (s[o] <= 0) {
          return false;
        }
        s[o] = Math.max(0, s[o] - n * p);
        return true;
      }
      case FIXED_WINDOW -> {
        if (Math.floorDiv(at, p) != s[o] || s[o + 1] <= 0) {
          return false;
        }
        s[o + 1] = Math.max(0, s[o + 1] - n);
        return true;
      }
      case SLIDING_WINDOW -> {
        long w = Math.floorDiv(at, p);
        int slot = w == s[o] ? o + 1 : (w == s[o] - 1 ? o + 2 : -1);
        if (slot < 0 || s[slot] <= 0) {
          return false;
        }
        s[slot] = Math.max(0, s[slot] - n);
        return true;
      }
    }
    return false;
  }

  /**
   * GCRA permits available: none while the debt is above the capacity (the capacity was lowered
   * under it), which lasts until the debt has drained below it.
   */
  private static long gcraAvail(LimitSpec spec, long[] s, int o) {
    return Math.max(0, (spec.capacity() * spec.periodMillis() - s[o]) / spec.periodMillis());
  }

  static void consume(Algorithm alg, LimitSpec spec, long[] s, int o, long g) {
    switch (alg) {
      case TOKEN_BUCKET -> s[o] -= g;
      case GCRA -> s[o] += g * spec.periodMillis();
      case FIXED_WINDOW, SLIDING_WINDOW -> s[o + 1] += g;
    }
  }

  /**
   * Milliseconds until more quota is made available: the {@code t} of draft-ietf-httpapi-ratelimit-
   * headers-10 (§4.1.2), 0 when the limit is full (nothing more can come).
   *
   * <ul>
   *   <li>TOKEN_BUCKET: until the next token is added ({@code ceil((period − r) / quota)});
   *   <li>GCRA: until the debt has drained enough for one more permit;
   *   <li>FIXED_WINDOW: until the window ends, when anything was counted in it;
   *   <li>SLIDING_WINDOW: until the estimate next drops by one: the previous window's weight
   *       decaying by one permit, or, when only the current window counts, one permit of it
   *       decaying in the next window.
   * </ul>
   *
   * Never more than {@link #retry} for a rejected request: a client told to come back after
   * {@code Retry-After} is never told that quota comes later than that.
   */
  static long reset(Algorithm alg, LimitSpec spec, long[] s, int o, long now) {
    long q = spec.quota();
    long p = spec.periodMillis();
    return switch (alg) {
      case TOKEN_BUCKET -> s[o] >= spec.capacity() ? 0 : ceilDiv(p - s[o + 2], q);
      case GCRA -> {
        if (s[o] <= 0) {
          yield 0;
        }
        long avail = gcraAvail(spec, s, o);
        yield ceilDiv(s[o] - (spec.capacity() - avail - 1) * p, q);
      }
      case FIXED_WINDOW -> s[o + 1] == 0 ? 0 : (s[o] + 1) * p - now;
      case SLIDING_WINDOW -> {
        long e = elapsedInWindow(spec, s, o, now);
        long weighted = previousWeighted(spec, s, o, now);
        if (weighted > 0) {
          yield Math.max(1, p - e - Math.floorDiv((weighted - 1) * p, s[o + 2]));
        }
        long c = s[o + 1];
        yield c > 0 ? (p - e) + (p - Math.floorDiv((c - 1) * p, c)) : 0;
      }
    };
  }

  /**
   * Milliseconds until the limit is full again (every permit back, the window's counts expired):
   * how long the state of a key matters, so the TTL of its Redis key.
   */
  static long untilFull(Algorithm alg, LimitSpec spec, long[] s, int o, long now) {
    long q = spec.quota();
    long p = spec.periodMillis();
    return switch (alg) {
      case TOKEN_BUCKET -> s[o] >= spec.capacity() ? 0 : ceilDiv((spec.capacity() - s[o]) * p - s[o + 2], q);
      case GCRA -> ceilDiv(s[o], q);
      case FIXED_WINDOW -> (s[o] + 1) * p - now;
      case SLIDING_WINDOW -> 2 * p - elapsedInWindow(spec, s, o, now);
    };
  }

  /** Milliseconds until {@code n} permits could be taken ({@code n ≤ capacity}). */
  static long retry(Algorithm alg, LimitSpec spec, long[] s, int o, long now, long n) {
    long q = spec.quota();
    long p = spec.periodMillis();
    return switch (alg) {
      case TOKEN_BUCKET -> s[o] >= n ? 0 : ceilDiv((n - s[o]) * p - s[o + 2], q);
      case GCRA -> Math.max(0, ceilDiv(s[o] + n * p - spec.capacity() * p, q));
      case FIXED_WINDOW -> s[o + 1] + n <= q ? 0 : (s[o] + 1) * p - now;
      case SLIDING_WINDOW -> {
        long e = elapsedInWindow(spec, s, o, now);
        long c = s[o + 1];
        long prev = s[o + 2];
        if (previousWeighted(spec, s, o, now) + c + n <= q) {
          yield 0;
        }
        long k = q - c - n;
        if (k >= 0) {
          yield Math.max(1, p - e - Math.floorDiv(k * p, prev));
        }
        long k2 = q - n;
        yield (p - e) + Math.max(0, p - Math.floorDiv(k2 * p, c));
      }
    };
  }
}
