package dev.scaleblocks.ratelimit.http;

import static dev.scaleblocks.core.internal.Checks.requireInRange;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;
import static dev.scaleblocks.core.internal.Checks.requireUnset;

import dev.scaleblocks.core.http.HttpRequestView;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The client IP as rate-limit key, safe behind proxies.
 *
 * <p>When the TCP peer is not a trusted proxy, the key is the peer's address and every forwarding
 * header is ignored: a client cannot pick its own key by sending {@code X-Forwarded-For}. When the
 * peer is trusted, the chain in {@link ProxyHeader} ({@code X-Forwarded-For} by default, or RFC
 * 7239 {@code Forwarded}) is read right to left, skipping trusted proxies; the first untrusted
 * address is the client. A malformed or obfuscated hop ends the walk at the last trusted address;
 * a chain that is all trusted yields its leftmost address. At most {@link Builder#maxHops} hops
 * and 8 KiB of header text (from the right) are looked at.
 *
 * <p>IPv6 clients are grouped by their /64 network by default (one subscriber typically holds a
 * whole /64), giving keys like {@code 2001:db8:1:2:0:0:0:0/64}; IPv4 keys are the address.
 * IPv4-mapped IPv6 addresses count as IPv4.
 *
 * <p>Immutable and thread-safe; never throws on bad input. Cost: one address parse per hop
 * examined, no name lookups.
 */
public final class ClientIpResolver implements KeyResolver {

  private static final int MAX_HEADER_CHARS = 8192;

  private final List<Cidr> trusted;
  private final ProxyHeader proxyHeader;
  private final int ipv6Prefix;
  private final int ipv4Prefix;
  private final int maxHops;

  private ClientIpResolver(Builder b) {
    this.trusted = List.copyOf(b.trusted);
    this.proxyHeader = b.proxyHeader;
    this.ipv6Prefix = b.ipv6Prefix;
    this.ipv4Prefix = b.ipv4Prefix;
    this.maxHops = b.maxHops;
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public @Nullable String resolve(HttpRequestView request) {
    String remote = request.remoteAddress();
    byte[] peer = IpAddresses.parse(remote);
    if (peer == null) {
      return null;
    }
    if (!isTrusted(peer)) {
      // a dotted quad the parser accepts is already in the form key() writes (no leading zeros)
      return remote != null && peer.length == 4 && ipv4Prefix == 32 && remote.indexOf(':') < 0
          ? remote : key(peer);
    }
    List<String> hops;
    try {
      String name = proxyHeader == ProxyHeader.FORWARDED ? "Forwarded" : "X-Forwarded-For";
      hops = ForwardedChain.nodes(request.headers(name), proxyHeader, maxHops, MAX_HEADER_CHARS);
    } catch (RuntimeException e) {
      return key(peer);
    }
    byte[] client = peer;
    for (String hop : hops) {
      byte[] address = IpAddresses.parse(hop);
      if (address == null) {
        break;
      }
      client = address;
      if (!isTrusted(address)) {
        break;
      }
    }
    return key(client);
  }

  private boolean isTrusted(byte[] address) {
    for (Cidr cidr : trusted) {
      if (cidr.contains(address)) {
        return true;
      }
    }
    return false;
  }

  private String key(byte[] address) {
    if (address.length == 16 && ipv6Prefix < 128) {
      return IpAddresses.format(Cidr.mask(address, ipv6Prefix)) + "/" + ipv6Prefix;
    }
    if (address.length == 4 && ipv4Prefix < 32) {
      return IpAddresses.format(Cidr.mask(address, ipv4Prefix)) + "/" + ipv4Prefix;
    }
    return IpAddresses.format(address);
  }

  /** Builds a {@link ClientIpResolver}. Not thread-safe. */
  public static final class Builder {
    /** The options given so far: each may be given once. */
    private final java.util.Set<String> given = new java.util.HashSet<>();
    private final List<Cidr> trusted = new ArrayList<>();
    private ProxyHeader proxyHeader = ProxyHeader.X_FORWARDED_FOR;
    private int ipv6Prefix = 64;
    private int ipv4Prefix = 32;
    private int maxHops = 16;

    private Builder() {}

    /**
     * Adds trusted proxies: addresses or networks ({@code 10.0.0.0/8}, {@code 127.0.0.1/32},
     * {@code fd00::/8}). None by default: forwarding headers are then ignored.
     */
    public Builder trustedProxies(String... cidrs) {
      requireNonNull(cidrs, "cidrs");
      for (String c : cidrs) {
        trusted.add(Cidr.parse(requireNonNull(c, "cidr")));
      }
      return this;
    }

    /** The header trusted proxies append to; {@link ProxyHeader#X_FORWARDED_FOR} by default. */
    public Builder proxyHeader(ProxyHeader header) {
      requireUnset(!given.add("proxyHeader"), "proxyHeader", proxyHeader);
      this.proxyHeader = requireNonNull(header, "proxyHeader");
      return this;
    }

    /** The IPv6 network size clients are grouped by; 64 by default, 128 for single addresses. */
    public Builder ipv6PrefixLength(int prefix) {
      requireUnset(!given.add("ipv6PrefixLength"), "ipv6PrefixLength", ipv6Prefix);
      this.ipv6Prefix = (int) requireInRange(prefix, 1, 128, "ipv6PrefixLength");
      return this;
    }

    /** The IPv4 network size clients are grouped by; 32 (single addresses) by default. */
    public Builder ipv4PrefixLength(int prefix) {
      requireUnset(!given.add("ipv4PrefixLength"), "ipv4PrefixLength", ipv4Prefix);
      this.ipv4Prefix = (int) requireInRange(prefix, 1, 32, "ipv4PrefixLength");
      return this;
    }

    /** The most hops examined from the right; 16 by default. */
    public Builder maxHops(int hops) {
      requireUnset(!given.add("maxHops"), "maxHops", maxHops);
      this.maxHops = (int) requireInRange(hops, 1, 256, "maxHops");
      return this;
    }

    public ClientIpResolver build() {
      return new ClientIpResolver(this);
    }
  }
}
