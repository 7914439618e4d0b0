package dev.scaleblocks.ratelimit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The per-tenant plans on the standalone Redis through Jedis, calls coalesced. */
class CoalescingRedisTenantPoliciesIT extends RedisTenantPoliciesIT {

  private static RedisClients.Client client;

  @BeforeAll
  static void connectOther() {
    client = RedisClients.Kind.COALESCING_JEDIS.open("standalone");
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
