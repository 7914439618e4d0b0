package dev.scaleblocks.ratelimit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The per-tenant plans on the Redis Cluster through Jedis. */
class RedisClusterTenantPoliciesIT extends RedisTenantPoliciesIT {

  private static RedisClients.Client client;

  @BeforeAll
  static void connectOther() {
    client = RedisClients.Kind.JEDIS.open("cluster");
  }

  @AfterAll
  static void closeOther() {
    client.close();
  }

  @Override
  protected RedisClients.Client client() {
    return client;
  }
}
