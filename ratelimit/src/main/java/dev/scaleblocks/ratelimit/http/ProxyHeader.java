package dev.scaleblocks.ratelimit.http;

/** Which header a trusted proxy chain appends client addresses to. */
public enum ProxyHeader {
  /** {@code X-Forwarded-For: client, proxy1, proxy2}. */
  X_FORWARDED_FOR,
  /** RFC 7239 {@code Forwarded: for=client;proto=https, for="[2001:db8::1]:4711"}. */
  FORWARDED
}
