/**
 * scaleblocks-sharding: shard routers (ring, jump, rendezvous, Maglev, Redis hash slots),
 * rebalance plans and the sharded DataSource.
 */
module dev.scaleblocks.sharding {
  exports dev.scaleblocks.sharding;

  requires transitive dev.scaleblocks.core;
  requires transitive java.sql; // ShardedDataSource
  requires micrometer.core;
  requires org.slf4j;
  requires static org.jspecify;
}
