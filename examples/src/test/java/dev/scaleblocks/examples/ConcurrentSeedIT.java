package dev.scaleblocks.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.testing.TestServices;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two demo instances starting together on empty PostgreSQL databases (the scale-out start): both
 * create the table and seed the catalog at the same moment, and both must come up with every
 * product exactly once. Runs on the real primary, in databases of its own that it drops afterwards.
 */
class ConcurrentSeedIT {

  private static final int ROUNDS = 5;
  private static final int PRODUCTS = 300;

  @Test
  void twoInstancesSeedingEmptyDatabasesTogetherBothStart() throws Exception {
    String run = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (int round = 0; round < ROUNDS; round++) {
        List<String> databases = List.of("seed_" + run + "_" + round + "_0", "seed_" + run + "_" + round + "_1");
        admin(databases, "CREATE DATABASE ");
        try {
          List<String> urls = databases.stream().map(TestServices::postgresPrimaryUrl).toList();
          CyclicBarrier start = new CyclicBarrier(2);
          List<Future<Map<String, Long>>> seeders = new ArrayList<>();
          for (int instance = 1; instance <= 2; instance++) {
            DemoConfig config =
                DemoConfig.defaults()
                    .withInstance("seed-" + run + "-" + round + "-" + instance)
                    .withProducts(PRODUCTS)
                    .withDatabases(urls, List.of(), TestServices.postgresUser());
            seeders.add(pool.submit(() -> {
              try (Shards shards = new Shards(config, Telemetry.of(new SimpleMeterRegistry()))) {
                Catalog catalog = new Catalog(shards);
                start.await(30, TimeUnit.SECONDS);
                catalog.createAndSeed(PRODUCTS);
                return catalog.counts();
              }
            }));
          }
          for (Future<Map<String, Long>> seeder : seeders) {
            Map<String, Long> counts = seeder.get(2, TimeUnit.MINUTES); // throws if a seeder failed
            assertThat(counts.values().stream().mapToLong(Long::longValue).sum())
                .as("round %d: every product exactly once", round)
                .isEqualTo(PRODUCTS);
          }
        } finally {
          admin(databases, "DROP DATABASE IF EXISTS ");
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static void admin(List<String> databases, String statement) throws SQLException {
    try (Connection c =
            DriverManager.getConnection(TestServices.postgresPrimaryUrl("postgres"), TestServices.postgresUser(), null);
        Statement st = c.createStatement()) {
      for (String db : databases) {
        st.execute(statement + db + (statement.startsWith("DROP") ? " WITH (FORCE)" : ""));
      }
    }
  }
}
