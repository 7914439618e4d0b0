package dev.scaleblocks.cache;

/** The contract with no L2: the embedded default. */
class L1OnlyContractTest extends TieredCacheContract {

  @Override
  protected <K, V> TieredCacheBuilder<K, V> withL2(TieredCacheBuilder<K, V> builder) {
    return builder;
  }

  @Override
  protected boolean sharesL2() {
    return false;
  }
}
