/**
 * scaleblocks-pooling: HikariCP builders and sizing, read/write routing with replica health, lag
 * and read-your-writes, and drain.
 *
 * <p>Exports {@code dev.scaleblocks.pooling} only; {@code dev.scaleblocks.pooling.internal} is
 * not exported.
 */
module dev.scaleblocks.pooling {
  exports dev.scaleblocks.pooling;

  requires transitive dev.scaleblocks.core;
  requires transitive java.sql; // DataSource, Connection
  requires transitive com.zaxxer.hikari; // Pools.Builder builds a HikariDataSource
  requires micrometer.core;
  requires org.slf4j;
  requires static org.jspecify;
}
