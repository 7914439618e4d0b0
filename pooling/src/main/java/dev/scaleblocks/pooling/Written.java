package dev.scaleblocks.pooling;

/**
 * The result of {@link ReadWriteDataSource#write}: what the work returned and the token to read
 * the write back. Immutable if {@code value} is.
 *
 * @param value what the work returned (may be null)
 * @param token the primary's log position after the commit
 */
public record Written<T>(@org.jspecify.annotations.Nullable T value, WriteToken token) {}
