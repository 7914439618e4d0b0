package dev.scaleblocks.ratelimit.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scaleblocks.core.http.HttpRequestView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class ClientIpResolverTest {

  record Req(String remote, Map<String, List<String>> h) implements HttpRequestView {
    @Override
    public String method() {
      return "GET";
    }

    @Override
    public String path() {
      return "/";
    }

    @Override
    public @Nullable String header(String name) {
      List<String> v = headers(name);
      return v.isEmpty() ? null : v.get(0);
    }

    @Override
    public List<String> headers(String name) {
      return h.getOrDefault(name, List.of());
    }

    @Override
    public @Nullable String remoteAddress() {
      return remote;
    }
  }

  static Req req(String remote, String header, String... values) {
    return new Req(remote, Map.of(header, List.of(values)));
  }

  @Test
  void parsesIpLiteralsWithoutLookups() {
    assertThat(IpAddresses.parse("192.0.2.1")).containsExactly(192, 0, 2, 1);
    assertThat(IpAddresses.parse("::ffff:192.0.2.1")).containsExactly(192, 0, 2, 1);
    assertThat(IpAddresses.parse("::1")).hasSize(16);
    assertThat(IpAddresses.format(IpAddresses.parse("2001:db8::ff00:42:8329"))).isEqualTo("2001:db8:0:0:0:ff00:42:8329");
    assertThat(IpAddresses.format(IpAddresses.parse("1:2:3:4:5:6:7::"))).isEqualTo("1:2:3:4:5:6:7:0");
    assertThat(IpAddresses.format(IpAddresses.parse("::"))).isEqualTo("0:0:0:0:0:0:0:0");
    for (String bad : List.of("", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.1.1.1", "1.2.3.4 ", "example.com",
        "localhost", ":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "fe80::1%eth0", "unknown", "_hidden",
        "1.2.3.-4", "::1.2.3", "1:2:3:4:5:6:7:1.2.3.4", "a".repeat(10_000))) {
      assertThat(IpAddresses.parse(bad)).as(bad).isNull();
    }
  }

  @Test
  void cidrMatching() {
    assertThat(Cidr.parse("10.0.0.0/8").contains(IpAddresses.parse("10.255.1.2"))).isTrue();
    assertThat(Cidr.parse("10.0.0.0/8").contains(IpAddresses.parse("11.0.0.1"))).isFalse();
    assertThat(Cidr.parse("192.168.1.128/25").contains(IpAddresses.parse("192.168.1.129"))).isTrue();
    assertThat(Cidr.parse("192.168.1.128/25").contains(IpAddresses.parse("192.168.1.127"))).isFalse();
    assertThat(Cidr.parse("fd00::/8").contains(IpAddresses.parse("fd12::1"))).isTrue();
    assertThat(Cidr.parse("fd00::/8").contains(IpAddresses.parse("10.0.0.1"))).isFalse();
    assertThat(Cidr.parse("127.0.0.1").contains(IpAddresses.parse("127.0.0.1"))).isTrue();
    assertThat(Cidr.parse("0.0.0.0/0").contains(IpAddresses.parse("8.8.8.8"))).isTrue();
    assertThatThrownBy(() -> Cidr.parse("10.0.0.0/33"))
        .hasMessage("cidr prefix must be in [0, 32] but was 10.0.0.0/33");
    assertThatThrownBy(() -> Cidr.parse("proxy.internal"))
        .hasMessage("cidr must be an IP address or network but was proxy.internal");
  }

  @Test
  void untrustedPeerIgnoresForwardingHeaders() {
    ClientIpResolver r = ClientIpResolver.builder().trustedProxies("10.0.0.0/8").build();
    assertThat(r.resolve(req("203.0.113.9", "X-Forwarded-For", "1.1.1.1"))).isEqualTo("203.0.113.9");
    assertThat(KeyResolver.clientIp().resolve(req("203.0.113.9", "X-Forwarded-For", "1.1.1.1")))
        .isEqualTo("203.0.113.9");
  }

  @Test
  void trustedChainIsReadRightToLeft() {
    ClientIpResolver r = ClientIpResolver.builder().trustedProxies("10.0.0.0/8", "192.168.0.0/16").build();
    // the client spoofs 6.6.6.6; the edge proxy appended the real address 198.51.100.7
    assertThat(r.resolve(req("10.0.0.2", "X-Forwarded-For", "6.6.6.6, 198.51.100.7, 192.168.1.1")))
        .isEqualTo("198.51.100.7");
    // several header lines count as one list
    assertThat(r.resolve(req("10.0.0.2", "X-Forwarded-For", "6.6.6.6", "198.51.100.7:5555")))
        .isEqualTo("198.51.100.7");
    // all trusted: the leftmost
    assertThat(r.resolve(req("10.0.0.2", "X-Forwarded-For", "10.1.1.1, 192.168.3.3"))).isEqualTo("10.1.1.1");
    // garbage stops the walk at the last trusted hop
    assertThat(r.resolve(req("10.0.0.2", "X-Forwarded-For", "198.51.100.7, nonsense, 10.9.9.9")))
        .isEqualTo("10.9.9.9");
    // no header: the peer
    assertThat(r.resolve(new Req("10.0.0.2", Map.of()))).isEqualTo("10.0.0.2");
  }

  @Test
  void forwardedHeaderIsParsed() {
    ClientIpResolver r = ClientIpResolver.builder().trustedProxies("10.0.0.0/8")
        .proxyHeader(ProxyHeader.FORWARDED).ipv6PrefixLength(128).build();
    assertThat(r.resolve(req("10.0.0.2", "Forwarded",
        "for=6.6.6.6, for=\"[2001:db8:cafe::17]:4711\";proto=https;by=10.0.0.2")))
        .isEqualTo("2001:db8:cafe:0:0:0:0:17");
    assertThat(r.resolve(req("10.0.0.2", "Forwarded", "For=\"198.51.100.7:80\", for=10.3.3.3")))
        .isEqualTo("198.51.100.7");
    assertThat(r.resolve(req("10.0.0.2", "Forwarded", "for=_hidden, for=10.3.3.3"))).isEqualTo("10.3.3.3");
    assertThat(r.resolve(req("10.0.0.2", "Forwarded", "for=\"a,b\";by=x, for=10.3.3.3"))).isEqualTo("10.3.3.3");
  }

  @Test
  void ipv6ClientsAreGroupedBySlash64() {
    ClientIpResolver r = ClientIpResolver.builder().build();
    String a = r.resolve(req("2001:db8:1:2:aaaa::1", "x", "y"));
    String b = r.resolve(req("2001:db8:1:2:bbbb::9", "x", "y"));
    assertThat(a).isEqualTo("2001:db8:1:2:0:0:0:0/64").isEqualTo(b);
    assertThat(r.resolve(req("2001:db8:1:3::1", "x", "y"))).isNotEqualTo(a);
    assertThat(r.resolve(req("::ffff:192.0.2.1", "x", "y"))).isEqualTo("192.0.2.1");
  }

  @Test
  void hostileInputNeverThrowsAndIsBounded() {
    ClientIpResolver r = ClientIpResolver.builder().trustedProxies("0.0.0.0/0").maxHops(16).build();
    List<String> thousands = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      thousands.add("10.0." + (i / 250) + "." + (i % 250));
    }
    String huge = String.join(",", thousands);
    // every hop trusted: the walk stops after 16 hops, at the 16th from the right
    assertThat(r.resolve(req("10.0.0.1", "X-Forwarded-For", huge))).isEqualTo("10.0.19.234");
    assertThat(ForwardedChain.nodes(List.of(huge), ProxyHeader.X_FORWARDED_FOR, 16, 8192)).hasSize(16);
    List<String> manyLines = new ArrayList<>();
    for (int i = 0; i < 100_000; i++) {
      manyLines.add("");
    }
    assertThat(r.resolve(req("10.0.0.1", "X-Forwarded-For", manyLines.toArray(String[]::new)))).isEqualTo("10.0.0.1");
    for (String garbage : List.of("x".repeat(10_240), "\"".repeat(5000), ",,,,,;;;===\"\"[[]]]", "[", "[::1",
        "for=\"", "for=[::1", ";for=", "\u0000\u00ff\uffff", "=".repeat(20_000))) {
      assertThat(r.resolve(req("10.0.0.1", "X-Forwarded-For", garbage))).as(garbage).isEqualTo("10.0.0.1");
      ClientIpResolver f = ClientIpResolver.builder().trustedProxies("0.0.0.0/0").proxyHeader(ProxyHeader.FORWARDED).build();
      assertThat(f.resolve(req("10.0.0.1", "Forwarded", garbage))).as(garbage).isEqualTo("10.0.0.1");
    }
    assertThat(r.resolve(req("not an ip", "X-Forwarded-For", "1.1.1.1"))).isNull();
  }

  @Test
  void headerApiKeyAndPrincipalResolvers() {
    assertThat(KeyResolver.header("X-Tenant").resolve(req("1.1.1.1", "X-Tenant", " acme "))).isEqualTo("h:acme");
    assertThat(KeyResolver.header("X-Tenant").resolve(req("1.1.1.1", "X-Tenant", "x".repeat(10_000))))
        .startsWith("h:#").hasSizeLessThan(40);
    String k = KeyResolver.apiKey("X-Api-Key").resolve(req("1.1.1.1", "X-Api-Key", "secret-123"));
    assertThat(k).startsWith("k:").doesNotContain("secret");
    assertThat(KeyResolver.principal().orElse(KeyResolver.clientIp()).resolve(req("1.1.1.1", "a", "b")))
        .isEqualTo("1.1.1.1");
  }
}
