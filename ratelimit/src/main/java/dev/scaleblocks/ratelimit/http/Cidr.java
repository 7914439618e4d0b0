package dev.scaleblocks.ratelimit.http;

import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import java.util.Arrays;

/** An IPv4 or IPv6 network ({@code 10.0.0.0/8}, {@code fd00::/8}, {@code 127.0.0.1}). Immutable. */
final class Cidr {

  private final byte[] network;
  private final int prefix;
  private final String text;

  private Cidr(byte[] network, int prefix, String text) {
    this.network = network;
    this.prefix = prefix;
    this.text = text;
  }

  /** Parses {@code address[/prefix]}; an address alone is a single host. */
  static Cidr parse(String cidr) {
    requireNonNull(cidr, "cidr");
    String s = cidr.trim();
    int slash = s.indexOf('/');
    byte[] address = IpAddresses.parse(slash < 0 ? s : s.substring(0, slash));
    if (address == null) {
      throw new IllegalArgumentException("cidr must be an IP address or network but was " + cidr);
    }
    int max = address.length * 8;
    int prefix = max;
    if (slash >= 0) {
      String p = s.substring(slash + 1);
      try {
        prefix = Integer.parseInt(p);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("cidr prefix must be a number but was " + cidr, e);
      }
      // an IPv4-mapped network written in IPv6 form keeps its IPv4 prefix length
      if (s.indexOf(':') >= 0 && address.length == 4) {
        prefix -= 96;
      }
      if (prefix < 0 || prefix > max || p.isEmpty() || p.startsWith("+")) {
        throw new IllegalArgumentException("cidr prefix must be in [0, " + max + "] but was " + cidr);
      }
    }
    return new Cidr(mask(address, prefix), prefix, s);
  }

  static byte[] mask(byte[] address, int prefix) {
    byte[] out = Arrays.copyOf(address, address.length);
    for (int bit = prefix; bit < out.length * 8; bit++) {
      out[bit / 8] &= (byte) ~(0x80 >> (bit % 8));
    }
    return out;
  }

  boolean contains(byte[] address) {
    if (address.length != network.length) {
      return false;
    }
    int full = prefix / 8;
    for (int i = 0; i < full; i++) {
      if (address[i] != network[i]) {
        return false;
      }
    }
    int rest = prefix % 8;
    if (rest == 0) {
      return true;
    }
    int m = (0xFF << (8 - rest)) & 0xFF;
    return (address[full] & m) == (network[full] & m);
  }

  @Override
  public String toString() {
    return text;
  }
}
