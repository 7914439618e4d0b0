/**
 * Pooled {@link javax.sql.DataSource} helpers over HikariCP: a {@link dev.scaleblocks.pooling.Pools}
 * builder with defaults that can be defended, {@link dev.scaleblocks.pooling.PoolSizing} to size
 * pools and check them against the server's connection budget, and {@link
 * dev.scaleblocks.pooling.ReadWriteDataSource} for read/write routing with replica health, lag
 * bounds, read-your-writes tokens and a graceful drain.
 */
@NullMarked
package dev.scaleblocks.pooling;

import org.jspecify.annotations.NullMarked;
