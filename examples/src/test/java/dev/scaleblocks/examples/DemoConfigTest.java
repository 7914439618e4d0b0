package dev.scaleblocks.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DemoConfigTest {

  @Test
  void embeddedDefaultsWithoutAnyConfiguration() {
    DemoConfig c = DemoConfig.from(new String[0], Map.of());
    assertThat(c.jettyPort()).isEqualTo(8080);
    assertThat(c.nettyPort()).isEqualTo(8081);
    assertThat(c.redisUrl()).isNull();
    assertThat(c.databaseUrls()).isEmpty();
    assertThat(c.shardCount()).isEqualTo(4);
    assertThat(c.namespace()).isEqualTo("demo");
  }

  @Test
  void environmentThenFlagsWin() {
    DemoConfig c =
        DemoConfig.from(
            new String[] {"--jetty-port=9090", "--limit=7"},
            Map.of("JETTY_PORT", "1111", "NETTY_PORT", "2222", "REDIS_URL", "redis://10.0.0.1:6379",
                "DATABASE_URLS", "postgres://db:5432/a, jdbc:postgresql://db:5432/b",
                "DATABASE_REPLICA_URLS", "postgresql://r:5433/a,jdbc:postgresql://r:5433/b"));
    assertThat(c.jettyPort()).isEqualTo(9090);
    assertThat(c.nettyPort()).isEqualTo(2222);
    assertThat(c.limit()).isEqualTo(7);
    assertThat(c.redisUrl()).isEqualTo("redis://10.0.0.1:6379");
    assertThat(c.databaseUrls()).containsExactly("jdbc:postgresql://db:5432/a", "jdbc:postgresql://db:5432/b");
    assertThat(c.replicaUrls()).containsExactly("jdbc:postgresql://r:5433/a", "jdbc:postgresql://r:5433/b");
    assertThat(c.shardCount()).isEqualTo(2);
  }

  @Test
  void singleDatabaseUrlIsOneShard() {
    DemoConfig c = DemoConfig.from(new String[0], Map.of("DATABASE_URL", "jdbc:postgresql://db/x"));
    assertThat(c.databaseUrls()).containsExactly("jdbc:postgresql://db/x");
  }

  @Test
  void badInputIsNamed() {
    assertThatThrownBy(() -> DemoConfig.from(new String[] {"--jetty-port=http"}, Map.of()))
        .hasMessage("jetty-port must be an integer but was http");
    assertThatThrownBy(() -> DemoConfig.from(new String[] {"--colour=blue"}, Map.of()))
        .hasMessageContaining("unknown options [colour]");
    assertThatThrownBy(() -> DemoConfig.from(new String[] {"jetty-port"}, Map.of()))
        .hasMessage("arguments must look like --name=value but was jetty-port");
    assertThatThrownBy(() -> DemoConfig.defaults().withDatabases(List.of("jdbc:a", "jdbc:b"), List.of("jdbc:r"), "u"))
        .hasMessage("replica URLs must be one per shard: 2 primaries but 1 replicas");
    assertThatThrownBy(() -> DemoConfig.defaults().withLimit(0, 10)).hasMessage("limit must be positive but was 0");
  }
}
