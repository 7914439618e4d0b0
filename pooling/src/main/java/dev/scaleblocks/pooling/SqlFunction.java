package dev.scaleblocks.pooling;

import java.sql.Connection;
import java.sql.SQLException;
import org.jspecify.annotations.Nullable;

/** Work done on a borrowed connection by {@link ReadWriteDataSource}'s callback API. */
@FunctionalInterface
public interface SqlFunction<T extends @Nullable Object> {
  T apply(Connection connection) throws SQLException;
}
