package dev.scaleblocks.ratelimit.http;

import dev.scaleblocks.core.http.HttpDates;
import dev.scaleblocks.ratelimit.Decision;
import dev.scaleblocks.ratelimit.Limit;
import dev.scaleblocks.ratelimit.RateLimitPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Formats the rate-limit response headers: IETF {@code draft-ietf-httpapi-ratelimit-headers-10}
 * Structured Field Lists {@code RateLimit-Policy: "name";q=100;w=60} and {@code RateLimit:
 * "name";r=42;t=17}, the legacy {@code X-RateLimit-*} trio, {@code Retry-After} and the
 * {@code application/problem+json} body of a rejection.
 *
 * <p>A policy with one limit is one item named after the policy; a policy with several limits
 * (10/s and 1000/h) is one item per limit, the first named after the policy and the others
 * {@code name-2}, {@code name-3}, ... . The {@code RateLimit} item names the binding limit of the
 * decision. Durations are whole seconds rounded up (a 100 ms window is {@code w=1}).
 *
 * <p>The numbers, as draft-10 defines them: {@code r} is what the binding limit has left; {@code
 * t} is the time until <em>more</em> quota is made available (§4.1.2) — {@link
 * Decision#resetAfter()}, the next token of a bucket or the end of a window, not the time until
 * the limit is full — and is left out when the limit is full (nothing more can come). {@code
 * Retry-After} never names a moment before {@code t} (§6): it is the time until the request could
 * be admitted, at least 1 s, and at least {@code t}. The legacy {@code X-RateLimit-Reset} is the
 * moment {@code t} names, in epoch seconds.
 *
 * <p>Stateless and thread-safe.
 */
public final class RateLimitHeaders {

  /** {@code RateLimit-Policy}. */
  public static final String POLICY = "RateLimit-Policy";
  /** {@code RateLimit}. */
  public static final String RATELIMIT = "RateLimit";

  private RateLimitHeaders() {}

  /** The {@code RateLimit-Policy} items of {@code policy}, e.g. {@code "api";q=100;w=60}. */
  public static String policyItems(RateLimitPolicy policy) {
    StringBuilder sb = new StringBuilder(32);
    List<Limit> limits = policy.limits();
    for (int i = 0; i < limits.size(); i++) {
      if (i > 0) {
        sb.append(", ");
      }
      Limit limit = limits.get(i);
      appendName(sb, itemName(policy, i))
          .append(";q=").append(limit.quota())
          .append(";w=").append(ceilSeconds(limit.period()));
    }
    return sb.toString();
  }

  /** The {@code RateLimit} item of {@code decision} under {@code policy}, e.g. {@code "api";r=42;t=17}. */
  public static String rateLimitItem(RateLimitPolicy policy, Decision decision) {
    StringBuilder sb = new StringBuilder(32);
    int index = bindingIndex(policy, decision);
    sb.append(itemStart(policy, index));
    return appendNumbers(sb, decision).toString();
  }

  /**
   * Appends the {@code RateLimit} item of {@code decision} to {@code sb}, given the {@link
   * #itemStart} of each limit of {@code policy} (formatted once by the caller).
   */
  static void appendRateLimitItem(StringBuilder sb, RateLimitPolicy policy, String[] itemStarts, Decision decision) {
    appendNumbers(sb.append(itemStarts[bindingIndex(policy, decision)]), decision);
  }

  /** The start of the {@code RateLimit} item of limit {@code index} of {@code policy}: {@code "name";r=}. */
  static String itemStart(RateLimitPolicy policy, int index) {
    return appendName(new StringBuilder(24), itemName(policy, index)).append(";r=").toString();
  }

  private static StringBuilder appendNumbers(StringBuilder sb, Decision decision) {
    sb.append(decision.remaining());
    long t = ceilSeconds(decision.resetAfter());
    if (t > 0) {
      sb.append(";t=").append(t);
    }
    return sb;
  }

  /** Whole seconds, rounded up, of {@code d}; never negative. */
  public static long ceilSeconds(Duration d) {
    if (d.isNegative() || d.isZero()) {
      return 0;
    }
    long s = d.getSeconds();
    return d.getNano() > 0 ? s + 1 : s;
  }

  /**
   * {@code Retry-After} seconds for a rejection: the time until it could be admitted, at least 1,
   * and never before the {@code t} of its {@code RateLimit} item.
   */
  public static long retryAfterSeconds(Decision decision) {
    return Math.max(1, Math.max(ceilSeconds(decision.retryAfter()), ceilSeconds(decision.resetAfter())));
  }

  /**
   * The {@code X-RateLimit-Reset} value: epoch seconds at which more of the binding limit's quota
   * is made available, the moment {@code t} names.
   */
  public static long resetEpochSeconds(Instant now, Decision decision) {
    return now.getEpochSecond() + ceilSeconds(decision.resetAfter());
  }

  /** An IMF-fixdate for the {@code Date} header. */
  public static String httpDate(Instant now) {
    return HttpDates.format(now);
  }

  /** The RFC 9457 problem document of a rejection. */
  public static String problemJson(int status, Decision decision) {
    return problemJson(status, decision, retryAfterSeconds(decision));
  }

  /** The RFC 9457 problem document of a rejection answered with {@code Retry-After: retryAfter}. */
  static String problemJson(int status, Decision decision, long retryAfter) {
    String title = status == 429 ? "Too Many Requests" : "Service Unavailable";
    return "{\"type\":\"about:blank\",\"title\":\"" + title + "\",\"status\":" + status
        + ",\"detail\":\"rate limit of policy '" + decision.policyName() + "' exceeded, retry after "
        + retryAfter + " s\",\"policy\":\"" + decision.policyName()
        + "\",\"retryAfter\":" + retryAfter + "}";
  }

  private static String itemName(RateLimitPolicy policy, int index) {
    return index == 0 ? policy.name() : policy.name() + "-" + (index + 1);
  }

  private static int bindingIndex(RateLimitPolicy policy, Decision decision) {
    List<Limit> limits = policy.limits();
    if (limits.size() == 1) {
      return 0;
    }
    for (int i = 0; i < limits.size(); i++) {
      Limit l = limits.get(i);
      if (l.period().equals(decision.window()) && l.quota() == decision.limit()) {
        return i;
      }
    }
    for (int i = 0; i < limits.size(); i++) {
      if (limits.get(i).period().equals(decision.window())) {
        return i;
      }
    }
    return 0;
  }

  private static StringBuilder appendName(StringBuilder sb, String name) {
    // policy names are printable ASCII without '"' or '\' (checked by RateLimitPolicy)
    return sb.append('"').append(name).append('"');
  }
}
