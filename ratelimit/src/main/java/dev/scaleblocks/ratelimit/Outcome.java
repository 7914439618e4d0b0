package dev.scaleblocks.ratelimit;

/**
 * What a store decided, before it becomes a {@link Decision}: times in milliseconds, the binding
 * limit by index. {@code granted} is the number of permits taken (more than asked for when a
 * lease was taken). {@code nowMillis} is the store's clock at the decision.
 */
record Outcome(
    boolean allowed,
    long granted,
    int binding,
    long limit,
    long remaining,
    long resetMillis,
    long retryMillis,
    long nowMillis) {}
