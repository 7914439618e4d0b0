package dev.scaleblocks.spring.boot.autoconfigure.pooling;

import dev.scaleblocks.spring.boot.autoconfigure.OnListedCondition;

/** Matches when {@code scaleblocks.pooling.replicas} holds at least one replica. */
final class OnReplicasCondition extends OnListedCondition {

  OnReplicasCondition() {
    super("scaleblocks.pooling.replicas", PoolingProperties.Replica.class);
  }
}
