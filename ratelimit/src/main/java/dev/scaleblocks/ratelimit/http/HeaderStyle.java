package dev.scaleblocks.ratelimit.http;

/** Which rate-limit headers a response carries. {@code Retry-After} is sent on every rejection. */
public enum HeaderStyle {
  /** IETF {@code draft-ietf-httpapi-ratelimit-headers-10}: {@code RateLimit-Policy} and {@code RateLimit}. */
  IETF,
  /** IETF headers plus {@code X-RateLimit-Limit}, {@code X-RateLimit-Remaining}, {@code X-RateLimit-Reset}. */
  IETF_AND_LEGACY,
  /** Only the legacy {@code X-RateLimit-*} headers (reset as epoch seconds, with {@code Date}). */
  LEGACY,
  /** No quota headers. */
  NONE
}
