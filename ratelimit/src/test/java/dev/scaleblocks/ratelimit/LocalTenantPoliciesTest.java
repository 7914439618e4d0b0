package dev.scaleblocks.ratelimit;

/** The per-tenant plans on the in-memory store. */
class LocalTenantPoliciesTest extends TenantPoliciesContract {

  @Override
  protected RateLimiterBuilder store(RateLimiterBuilder builder) {
    return builder.local();
  }
}
