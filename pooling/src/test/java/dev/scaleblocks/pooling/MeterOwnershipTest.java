package dev.scaleblocks.pooling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.scaleblocks.core.Telemetry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Pools and pool groups own their meters: registered when built, removed on close, and a second
 * one with the same name on the same registry is refused while the first is open. No database is
 * needed: the pools start without connecting to a port nothing listens on.
 */
class MeterOwnershipTest {

  private static Pools.Builder offline() {
    return Pools.builder()
        .jdbcUrl("jdbc:postgresql://127.0.0.1:1/nowhere")
        .maximumPoolSize(1)
        .connectionTimeout(Duration.ofMillis(250))
        .customize(c -> c.setInitializationFailTimeout(-1));
  }

  private static ReadWriteDataSource group(String name, MeterRegistry registry) {
    return ReadWriteDataSource.builder()
        .name(name)
        .primary(offline())
        .replica(offline())
        .healthCheckInterval(Duration.ofMillis(50))
        .maxReplicationLag(Duration.ofSeconds(1))
        .telemetry(Telemetry.of(registry))
        .build();
  }

  @Test
  void aSecondGroupWithTheSameNameOnTheSameRegistryIsRefusedWhileTheFirstIsOpen() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    ReadWriteDataSource first = group("orders", registry);
    assertThatThrownBy(() -> group("orders", registry))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "pool group named 'orders' is already registered on this meter registry; close it first or choose another name");
    group("orders", new SimpleMeterRegistry()).close(); // another registry: fine
    group("billing", registry).close(); // another name: fine
    Thread.sleep(200); // let probes fail and eject, which counts
    first.close();
    assertThat(registry.getMeters()).as("every meter of the group and its pools is removed on close").isEmpty();
    group("orders", registry).close(); // the name is free again
    assertThat(registry.getMeters()).isEmpty();
  }

  @Test
  void aSecondPoolWithTheSameNameOnTheSameRegistryIsRefusedWhileTheFirstIsOpen() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Pools.Builder b = offline().poolName("orders-db").telemetry(Telemetry.of(registry));
    HikariDataSource first = b.build();
    assertThat(registry.find("hikaricp.connections.max").tag("pool", "orders-db").gauge()).isNotNull();
    assertThatThrownBy(b::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "pool named 'orders-db' is already registered on this meter registry; close it first or choose another name");
    first.close();
    assertThat(registry.getMeters()).isEmpty();
    b.build().close();
    // a group's member pool takes its pool name too
    HikariDataSource standalone = offline().poolName("rw-primary").telemetry(Telemetry.of(registry)).build();
    assertThatThrownBy(() -> group("rw", registry))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("pool named 'rw-primary' is already registered");
    standalone.close();
    group("rw", registry).close();
    assertThat(registry.getMeters()).isEmpty();
  }
}
