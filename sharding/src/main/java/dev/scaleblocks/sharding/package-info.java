/**
 * Consistent-hash shard routing: {@link dev.scaleblocks.sharding.ShardRouter} (ketama ring, jump,
 * weighted rendezvous, Maglev, Redis Cluster hash slots), {@link
 * dev.scaleblocks.sharding.ShardRouterHolder} for atomic topology swaps, {@link
 * dev.scaleblocks.sharding.RebalancePlan} to see and drive what a topology change moves, and
 * {@link dev.scaleblocks.sharding.ShardedDataSource} to route JDBC work by shard key.
 */
@NullMarked
package dev.scaleblocks.sharding;

import org.jspecify.annotations.NullMarked;
