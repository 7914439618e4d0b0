package dev.scaleblocks.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.scaleblocks.pooling.ReadWriteDataSource;
import dev.scaleblocks.spring.boot.autoconfigure.pooling.PoolingAutoConfiguration;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

class PoolingAutoConfigurationTest {

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(ScaleblocksAutoConfiguration.class,
          PoolingAutoConfiguration.class, DataSourceAutoConfiguration.class))
      .withPropertyValues("spring.datasource.url=jdbc:h2:mem:primary;DB_CLOSE_DELAY=-1",
          "spring.datasource.username=sa");

  @Test
  void withoutReplicasBootsDataSourceStays() {
    runner.run(ctx -> {
      assertThat(ctx).hasSingleBean(DataSource.class);
      assertThat(ctx.getBean(DataSource.class)).isInstanceOf(HikariDataSource.class);
    });
  }

  @Test
  void replicasMakeTheDataSourceReadWrite() {
    runner.withPropertyValues("scaleblocks.pooling.replicas[0].url=jdbc:h2:mem:replica;DB_CLOSE_DELAY=-1",
            "scaleblocks.pooling.name=orders")
        .run(ctx -> {
          assertThat(ctx).hasSingleBean(DataSource.class);
          ReadWriteDataSource ds = ctx.getBean(ReadWriteDataSource.class);
          assertThat(ds.name()).isEqualTo("orders");
          assertThat(ds.health().pools()).hasSize(2);
          assertThat(ds.health().pools().get(1).pool()).isEqualTo("orders-replica-0");
        });
  }

  @Test
  void disabledByProperty() {
    runner.withPropertyValues("scaleblocks.pooling.replicas[0].url=jdbc:h2:mem:replica",
            "scaleblocks.pooling.enabled=false")
        .run(ctx -> assertThat(ctx.getBean(DataSource.class)).isInstanceOf(HikariDataSource.class));
  }

  @Test
  void theApplicationsDataSourceWins() {
    runner.withPropertyValues("scaleblocks.pooling.replicas[0].url=jdbc:h2:mem:replica")
        .withBean("own", DataSource.class, () -> new DriverManagerDataSource("jdbc:h2:mem:own"))
        .run(ctx -> {
          assertThat(ctx).doesNotHaveBean(ReadWriteDataSource.class);
          assertThat(ctx.getBean(DataSource.class)).isInstanceOf(DriverManagerDataSource.class);
        });
  }

  @Test
  void aReplicaWithoutUrlFailsAtStartup() {
    runner.withPropertyValues("scaleblocks.pooling.replicas[0].weight=2")
        .run(ctx -> assertThat(ctx).getFailure().rootCause()
            .hasMessageContaining("scaleblocks.pooling.replicas[0].url must be set"));
  }
}
