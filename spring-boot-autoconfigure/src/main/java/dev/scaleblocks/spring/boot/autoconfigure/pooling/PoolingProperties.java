package dev.scaleblocks.spring.boot.autoconfigure.pooling;

import dev.scaleblocks.pooling.Balancing;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code scaleblocks.pooling.*}: the read replicas beside the primary of {@code spring.datasource.*}.
 * With at least one replica the application's {@code DataSource} becomes a {@code
 * ReadWriteDataSource}. Mutable bean bound once at startup; not thread-safe.
 */
@ConfigurationProperties("scaleblocks.pooling")
public class PoolingProperties {

  /** Whether a ReadWriteDataSource replaces Boot's DataSource when replicas are configured. */
  private boolean enabled = true;

  /** The data source's name: pool names, metric tags and the health details. */
  private String name = "db";

  /** Largest pool of the primary; 10 by default (HikariCP's). */
  private @Nullable Integer maximumPoolSize;

  /** The read replicas, e.g. replicas[0].url=jdbc:postgresql://replica1:5432/app. */
  private List<Replica> replicas = new ArrayList<>();

  /** How reads are spread over serving replicas. */
  private @Nullable Balancing balancing;

  /** How often each pool is probed. */
  private @Nullable Duration healthCheckInterval;

  /** Longest a probe waits for its answer. */
  private @Nullable Duration probeTimeout;

  /** Network timeout of every connection handed out for reading; 5 s by default. */
  private @Nullable Duration readTimeout;

  /** Consecutive probes an ejected replica must pass to serve again. */
  private @Nullable Integer readmitAfter;

  /** Replicas further behind than this are skipped for reads. */
  private @Nullable Duration maxReplicationLag;

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public @Nullable Integer getMaximumPoolSize() {
    return maximumPoolSize;
  }

  public void setMaximumPoolSize(@Nullable Integer maximumPoolSize) {
    this.maximumPoolSize = maximumPoolSize;
  }

  public List<Replica> getReplicas() {
    return replicas;
  }

  public void setReplicas(List<Replica> replicas) {
    this.replicas = replicas;
  }

  public @Nullable Balancing getBalancing() {
    return balancing;
  }

  public void setBalancing(@Nullable Balancing balancing) {
    this.balancing = balancing;
  }

  public @Nullable Duration getHealthCheckInterval() {
    return healthCheckInterval;
  }

  public void setHealthCheckInterval(@Nullable Duration healthCheckInterval) {
    this.healthCheckInterval = healthCheckInterval;
  }

  public @Nullable Duration getProbeTimeout() {
    return probeTimeout;
  }

  public void setProbeTimeout(@Nullable Duration probeTimeout) {
    this.probeTimeout = probeTimeout;
  }

  public @Nullable Duration getReadTimeout() {
    return readTimeout;
  }

  public void setReadTimeout(@Nullable Duration readTimeout) {
    this.readTimeout = readTimeout;
  }

  public @Nullable Integer getReadmitAfter() {
    return readmitAfter;
  }

  public void setReadmitAfter(@Nullable Integer readmitAfter) {
    this.readmitAfter = readmitAfter;
  }

  public @Nullable Duration getMaxReplicationLag() {
    return maxReplicationLag;
  }

  public void setMaxReplicationLag(@Nullable Duration maxReplicationLag) {
    this.maxReplicationLag = maxReplicationLag;
  }

  /** One read replica; credentials default to the primary's. */
  public static class Replica {

    /** JDBC URL of the replica. */
    private @Nullable String url;

    /** User name; spring.datasource.username by default. */
    private @Nullable String username;

    /** Password; spring.datasource.password by default. */
    private @Nullable String password;

    /** Share of reads relative to the other replicas (weighted balancing). */
    private int weight = 1;

    /** Largest pool of this replica; the primary's by default. */
    private @Nullable Integer maximumPoolSize;

    public @Nullable String getUrl() {
      return url;
    }

    public void setUrl(@Nullable String url) {
      this.url = url;
    }

    public @Nullable String getUsername() {
      return username;
    }

    public void setUsername(@Nullable String username) {
      this.username = username;
    }

    public @Nullable String getPassword() {
      return password;
    }

    public void setPassword(@Nullable String password) {
      this.password = password;
    }

    public int getWeight() {
      return weight;
    }

    public void setWeight(int weight) {
      this.weight = weight;
    }

    public @Nullable Integer getMaximumPoolSize() {
      return maximumPoolSize;
    }

    public void setMaximumPoolSize(@Nullable Integer maximumPoolSize) {
      this.maximumPoolSize = maximumPoolSize;
    }
  }
}
