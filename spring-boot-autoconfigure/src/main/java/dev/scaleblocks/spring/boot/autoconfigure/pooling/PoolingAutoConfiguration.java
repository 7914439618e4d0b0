package dev.scaleblocks.spring.boot.autoconfigure.pooling;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.pooling.Pools;
import dev.scaleblocks.pooling.ReadWriteDataSource;
import dev.scaleblocks.spring.boot.autoconfigure.ScaleblocksAutoConfiguration;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.jdbc.autoconfigure.DataSourceProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;

/**
 * A {@link ReadWriteDataSource} as the application's {@code DataSource} when {@code
 * scaleblocks.pooling.replicas} lists at least one replica: the primary from {@code
 * spring.datasource.url}, {@code username}, {@code password} and {@code driver-class-name}, the
 * replicas from {@code scaleblocks.pooling.replicas[*]}. Runs before Boot's DataSource
 * auto-configuration, which then backs off.
 *
 * <p>Reads in {@code @Transactional(readOnly = true)} go to a replica without a routing
 * {@code DataSource} of Spring's: the {@code DataSource} hands out a lazy connection, Spring's
 * transaction manager calls {@code setReadOnly(true)} on it before anything else that needs the
 * database, and the borrow (primary or replica) happens at the first real use, when the read-only
 * flag is known. A routing decision made in {@code getConnection()} from the transaction
 * synchronization state would be made before that flag is set.
 */
@AutoConfiguration(
    after = ScaleblocksAutoConfiguration.class,
    beforeName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
@ConditionalOnClass({ReadWriteDataSource.class, DataSourceProperties.class})
@ConditionalOnProperty(prefix = "scaleblocks.pooling", name = "enabled", matchIfMissing = true)
@Conditional(OnReplicasCondition.class)
@EnableConfigurationProperties({PoolingProperties.class, DataSourceProperties.class})
public class PoolingAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean(DataSource.class)
  public ReadWriteDataSource dataSource(DataSourceProperties primary, PoolingProperties properties,
      ObjectProvider<Telemetry> telemetry) {
    Telemetry tel = telemetry.getIfAvailable(Telemetry::none);
    String user = primary.determineUsername();
    Pools.Builder p = pool(primary.determineUrl(), user, primary.determinePassword(),
        primary.getDriverClassName(), properties.getMaximumPoolSize(), tel)
        .poolName(properties.getName() + "-primary");
    ReadWriteDataSource.Builder b = ReadWriteDataSource.builder()
        .name(properties.getName())
        .primary(p)
        .telemetry(tel);
    int i = 0;
    for (PoolingProperties.Replica r : properties.getReplicas()) {
      String url = r.getUrl();
      if (url == null || url.isBlank()) {
        throw new IllegalStateException("scaleblocks.pooling.replicas[" + i + "].url must be set");
      }
      Integer size = r.getMaximumPoolSize() != null ? r.getMaximumPoolSize() : properties.getMaximumPoolSize();
      Pools.Builder replica = pool(url,
          r.getUsername() != null ? r.getUsername() : user,
          r.getUsername() != null ? r.getPassword() : primary.determinePassword(),
          primary.getDriverClassName(), size, tel)
          .poolName(properties.getName() + "-replica-" + i);
      b.replica(replica, r.getWeight());
      i++;
    }
    if (properties.getBalancing() != null) {
      b.balancing(properties.getBalancing());
    }
    if (properties.getHealthCheckInterval() != null) {
      b.healthCheckInterval(properties.getHealthCheckInterval());
    }
    if (properties.getProbeTimeout() != null) {
      b.probeTimeout(properties.getProbeTimeout());
    }
    if (properties.getReadTimeout() != null) {
      b.readTimeout(properties.getReadTimeout());
    }
    if (properties.getReadmitAfter() != null) {
      b.readmitAfter(properties.getReadmitAfter());
    }
    if (properties.getMaxReplicationLag() != null) {
      b.maxReplicationLag(properties.getMaxReplicationLag());
    }
    return b.build();
  }

  private static Pools.Builder pool(@Nullable String url, @Nullable String user,
      @Nullable String password, @Nullable String driver, @Nullable Integer size, Telemetry tel) {
    if (url == null) {
      throw new IllegalStateException("spring.datasource.url must be set for a ReadWriteDataSource");
    }
    Pools.Builder b = Pools.builder().jdbcUrl(url).telemetry(tel);
    if (user != null && !user.isEmpty()) {
      b.credentials(user, password);
    }
    if (driver != null && !driver.isEmpty()) {
      b.driverClassName(driver);
    }
    if (size != null) {
      b.maximumPoolSize(size);
    }
    return b;
  }
}
