package dev.scaleblocks.ratelimit;

import static dev.scaleblocks.core.internal.Checks.requireNonEmpty;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;
import static dev.scaleblocks.core.internal.Checks.requireUnset;

import java.util.ArrayList;
import java.util.List;

/**
 * A named set of limits decided together, all or nothing (e.g. 10/s and 1000/h), with one
 * algorithm.
 *
 * <p>Immutable and thread-safe.
 */
public final class RateLimitPolicy {

  private final String name;
  private final List<Limit> limits;
  private final Algorithm algorithm;

  private RateLimitPolicy(Builder builder) {
    this.name = builder.name;
    this.limits = List.copyOf(builder.limits);
    this.algorithm = builder.algorithm;
  }

  /** Longest policy name: it names meters, threads and Redis keys. */
  public static final int MAX_NAME_LENGTH = 256;

  /**
   * Starts a policy called {@code name} (the {@code RateLimit-Policy} item name): printable ASCII
   * without quotes or backslashes, at most {@value #MAX_NAME_LENGTH} characters.
   */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  public String name() {
    return name;
  }

  /** The limits, in the order they were added; never empty. */
  public List<Limit> limits() {
    return limits;
  }

  public Algorithm algorithm() {
    return algorithm;
  }

  @Override
  public String toString() {
    return "RateLimitPolicy{" + name + ", " + algorithm + ", " + limits + '}';
  }

  /** Builds a {@link RateLimitPolicy}. Not thread-safe. */
  public static final class Builder {
    private final String name;
    private final List<Limit> limits = new ArrayList<>();
    private Algorithm algorithm = Algorithm.TOKEN_BUCKET;
    private boolean algorithmGiven;

    private Builder(String name) {
      this.name = requireNonEmpty(name, "name");
      if (name.length() > MAX_NAME_LENGTH) {
        throw new IllegalArgumentException(
            "name length must be at most " + MAX_NAME_LENGTH + " but was " + name.length());
      }
      for (int i = 0; i < name.length(); i++) {
        char c = name.charAt(i);
        if (c < 0x20 || c > 0x7E || c == '"' || c == '\\') {
          throw new IllegalArgumentException(
              "name must be printable ASCII without quotes or backslashes but was " + name);
        }
      }
    }

    /** Adds a limit. */
    public Builder limit(Limit limit) {
      limits.add(requireNonNull(limit, "limit"));
      return this;
    }

    /** Adds {@code quota} permits per {@code period}. */
    public Builder limit(long quota, java.time.Duration period) {
      return limit(Limit.of(quota, period));
    }

    /** The algorithm; {@link Algorithm#TOKEN_BUCKET} by default. */
    public Builder algorithm(Algorithm algorithm) {
      requireUnset(algorithmGiven, "algorithm", this.algorithm);
      algorithmGiven = true;
      this.algorithm = requireNonNull(algorithm, "algorithm");
      return this;
    }

    public RateLimitPolicy build() {
      if (limits.isEmpty()) {
        throw new IllegalStateException("policy " + name + " needs at least one limit");
      }
      return new RateLimitPolicy(this);
    }
  }
}
