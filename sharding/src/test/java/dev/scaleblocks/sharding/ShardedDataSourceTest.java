package dev.scaleblocks.sharding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/** Fan-out semantics; these callbacks never open a connection (see ShardedDataSourceIT for that). */
class ShardedDataSourceTest {

  private static ShardRouter<DataSource> router(int n) {
    ShardRouter.Builder<DataSource> b = ShardRouter.rendezvous();
    for (int i = 0; i < n; i++) {
      PGSimpleDataSource ds = new PGSimpleDataSource();
      ds.setDatabaseName("shard" + i);
      b.shard("shard-" + i, ds);
    }
    return b.build();
  }

  @Test
  void fanOutRunsEveryShardInParallelAndKeepsShardOrder() {
    CountDownLatch allStarted = new CountDownLatch(4);
    try (ShardedDataSource db = ShardedDataSource.builder().router(router(4)).parallelism(4).build()) {
      Map<String, String> results =
          db.fanOut(
              shard -> {
                allStarted.countDown();
                // only completes if all four run at the same time
                assertThat(allStarted.await(10, TimeUnit.SECONDS)).isTrue();
                return ((PGSimpleDataSource) shard.handle()).getDatabaseName();
              });
      assertThat(results)
          .containsExactly(
              Map.entry("shard-0", "shard0"),
              Map.entry("shard-1", "shard1"),
              Map.entry("shard-2", "shard2"),
              Map.entry("shard-3", "shard3"));
    }
  }

  @Test
  void firstFailureIsReportedWithItsShardAndTheRestAreCancelled() throws Exception {
    // the other shards' tasks are either interrupted while running or cancelled before they start
    // (under load the failure can come before they are scheduled); none may run to completion
    AtomicInteger started = new AtomicInteger();
    AtomicInteger interrupted = new AtomicInteger();
    AtomicInteger completed = new AtomicInteger();
    try (ShardedDataSource db = ShardedDataSource.builder().router(router(3)).parallelism(3).build()) {
      assertThatThrownBy(
              () ->
                  db.fanOut(
                      shard -> {
                        if (shard.name().equals("shard-1")) {
                          throw new IllegalStateException("disk full");
                        }
                        started.incrementAndGet();
                        try {
                          new CountDownLatch(1).await(30, TimeUnit.SECONDS);
                          completed.incrementAndGet();
                        } catch (InterruptedException e) {
                          interrupted.incrementAndGet();
                        }
                        return 0;
                      }))
          .isInstanceOf(FanOutException.class)
          .hasMessage("fan-out failed on shard 'shard-1': java.lang.IllegalStateException: disk full")
          .hasCauseInstanceOf(IllegalStateException.class)
          .satisfies(e -> assertThat(((FanOutException) e).shard()).isEqualTo("shard-1"));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (interrupted.get() < started.get() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(interrupted.get()).as("every started task was interrupted").isEqualTo(started.get());
      assertThat(completed.get()).isZero();
    }
  }

  @Test
  void slowShardsTimeOut() throws Exception {
    CountDownLatch interrupted = new CountDownLatch(1);
    try (ShardedDataSource db =
        ShardedDataSource.builder().router(router(2)).fanOutTimeout(Duration.ofMillis(200)).build()) {
      assertThatThrownBy(
              () ->
                  db.fanOut(
                      shard -> {
                        if (shard.name().equals("shard-0")) {
                          return 1;
                        }
                        try {
                          new CountDownLatch(1).await(30, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                          interrupted.countDown();
                        }
                        return 2;
                      }))
          .isInstanceOf(FanOutException.class)
          .hasMessage("fan-out timed out after PT0.2S; shards still running: [shard-1]");
      assertThat(interrupted.await(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void keyedFanOutCallsOnlyOwningShardsWithTheirKeys() {
    ShardRouter<DataSource> router = router(5);
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      keys.add("k" + i);
    }
    try (ShardedDataSource db = ShardedDataSource.builder().router(router).build()) {
      Map<String, List<String>> got = db.fanOut(keys, (shard, owned) -> owned);
      int total = 0;
      for (Map.Entry<String, List<String>> e : got.entrySet()) {
        for (String k : e.getValue()) {
          assertThat(router.shardFor(k).name()).isEqualTo(e.getKey());
        }
        total += e.getValue().size();
      }
      assertThat(total).isEqualTo(40);
      assertThat(db.fanOut(List.of("only-one"), (shard, owned) -> owned)).hasSize(1);
      assertThat(db.dataSource("k1")).isSameAs(router.route("k1"));
    }
  }

  @Test
  void builderChecks() {
    assertThatThrownBy(() -> ShardedDataSource.builder().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("router is required: call router(ShardRouter)");
    assertThatThrownBy(() -> ShardedDataSource.builder().parallelism(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("parallelism must be in [1, 1024] but was 0");
    assertThatThrownBy(() -> ShardedDataSource.builder().fanOutTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("fanOutTimeout must be positive but was PT0S");
  }
}
