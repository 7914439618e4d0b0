package dev.scaleblocks.core.netty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.http.CountingApps;
import dev.scaleblocks.core.http.HostileRequests;
import dev.scaleblocks.core.http.RequestCorrelation;
import dev.scaleblocks.core.http.TestHttpServers;
import dev.scaleblocks.core.servlet.CorrelationFilter;
import jakarta.servlet.DispatcherType;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The hostile-input suite against a whole {@link SafeHttpServerPipeline}, and the connection-level
 * cases (idle and half-sent requests, a trickled header section, HTTP/1.0 keep-alive, {@code
 * Expect: 100-continue}) against it and against Jetty with the same 2 s timeouts.
 */
class SafeHttpServerPipelineIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static final AtomicInteger jettyRuns = new AtomicInteger();
  private static final AtomicInteger nettyRuns = new AtomicInteger();
  private static TestHttpServers.Running jetty;
  private static TestHttpServers.Running netty;

  @BeforeAll
  static void start() {
    RequestCorrelation correlation = RequestCorrelation.builder().build();
    jetty = TestHttpServers.jetty(TIMEOUT, c -> {
      c.addFilter(new FilterHolder(new CorrelationFilter(correlation)), "/*", EnumSet.of(DispatcherType.REQUEST));
      c.addServlet(new ServletHolder(CountingApps.servlet(jettyRuns)), "/*");
    });
    SafeHttpServerPipeline pipeline = SafeHttpServerPipeline.builder()
        .idleTimeout(TIMEOUT)
        .requestTimeout(TIMEOUT)
        .correlation(correlation)
        .application(() -> CountingApps.netty(nettyRuns))
        .build();
    netty = TestHttpServers.nettyPipeline(pipeline::configure);
  }

  @AfterAll
  static void stop() {
    jetty.close();
    netty.close();
  }

  static List<HostileRequests.Case> cases() {
    return HostileRequests.requestCases();
  }

  @ParameterizedTest(name = "netty pipeline: {0}")
  @MethodSource("cases")
  void refusesEveryHostileRequest(HostileRequests.Case c) {
    System.out.println("netty  pipeline:    " + HostileRequests.check(netty.port(), c, nettyRuns::get));
  }

  private TestHttpServers.Running server(String kind) {
    return kind.equals("jetty") ? jetty : netty;
  }

  private AtomicInteger runs(String kind) {
    return kind.equals("jetty") ? jettyRuns : nettyRuns;
  }

  /** Waits up to 15 s for end of stream; returns the seconds it took, or -1 if still open. */
  private static double secondsUntilClosed(Socket s) throws IOException {
    long start = System.nanoTime();
    s.setSoTimeout(15_000);
    InputStream in = s.getInputStream();
    try {
      while (in.read() >= 0) {
        // drain whatever is answered (a 408)
      }
    } catch (java.net.SocketTimeoutException e) {
      return -1;
    } catch (IOException e) {
      // reset: closed
    }
    return (System.nanoTime() - start) / 1e9;
  }

  @ParameterizedTest(name = "{0}: an idle connection is closed")
  @ValueSource(strings = {"jetty", "netty"})
  void idleConnectionIsClosed(String kind) throws IOException {
    try (Socket s = new Socket("127.0.0.1", server(kind).port())) {
      double seconds = secondsUntilClosed(s);
      System.out.printf("%-6s idle connection closed after %.1f s%n", kind, seconds);
      assertThat(seconds).isBetween(1.0, 10.0);
    }
  }

  @ParameterizedTest(name = "{0}: a half-sent request is closed and never runs")
  @ValueSource(strings = {"jetty", "netty"})
  void halfSentRequestIsClosed(String kind) throws IOException {
    int before = runs(kind).get();
    try (Socket s = new Socket("127.0.0.1", server(kind).port())) {
      s.getOutputStream().write("POST /items/7 HTTP/1.1\r\nHost: test\r\nX-Half: ".getBytes(StandardCharsets.US_ASCII));
      double seconds = secondsUntilClosed(s);
      System.out.printf("%-6s half-sent request closed after %.1f s%n", kind, seconds);
      assertThat(seconds).isBetween(1.0, 10.0);
    }
    assertThat(runs(kind).get()).isEqualTo(before);
  }

  @Test
  void trickledHeaderSectionIsCutOffByTheRequestDeadline() throws Exception {
    int before = nettyRuns.get();
    try (Socket s = new Socket("127.0.0.1", netty.port())) {
      OutputStream out = s.getOutputStream();
      out.write("GET /items/7 HTTP/1.1\r\nHost: test\r\n".getBytes(StandardCharsets.US_ASCII));
      long start = System.nanoTime();
      HostileRequests.Answer answer = null;
      s.setSoTimeout(500);
      for (int i = 0; i < 40 && answer == null; i++) {
        try {
          out.write('X');
          out.flush();
        } catch (IOException e) {
          break;
        }
        try {
          answer = HostileRequests.read(s, Duration.ofSeconds(3));
          if (answer.status() == 0 && !answer.closed()) {
            answer = null;
          }
        } catch (IOException e) {
          break;
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf("netty  trickled header section: %s after %.1f s%n", answer, seconds);
      assertThat(answer).isNotNull();
      assertThat(answer.status()).isEqualTo(408);
      assertThat(answer.closed()).isTrue();
      assertThat(seconds).isLessThan(10.0);
    }
    assertThat(nettyRuns.get()).isEqualTo(before);
  }

  private static HostileRequests.Answer send(Socket s, String request) throws IOException {
    s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
    s.getOutputStream().flush();
    return HostileRequests.read(s, Duration.ofMillis(500));
  }

  @ParameterizedTest(name = "{0}: HTTP/1.0 keep-alive follows RFC 9112 §9.3")
  @ValueSource(strings = {"jetty", "netty"})
  void http10KeepAlive(String kind) throws IOException {
    try (Socket s = new Socket("127.0.0.1", server(kind).port())) {
      s.setSoTimeout(5_000);
      HostileRequests.Answer first = send(s, "GET /items/7 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
      assertThat(first.status()).isEqualTo(200);
      String connection = first.headers().getOrDefault("connection", "");
      System.out.printf("%-6s HTTP/1.0 keep-alive: Connection: %s, %s%n", kind, connection,
          first.closed() ? "closed" : "open");
      if (connection.equalsIgnoreCase("keep-alive")) {
        assertThat(first.closed()).as("kept alive as announced").isFalse();
        HostileRequests.Answer second = send(s, "GET /items/7 HTTP/1.0\r\n\r\n");
        assertThat(second.status()).isEqualTo(200);
        assertThat(second.closed()).as("HTTP/1.0 without keep-alive closes").isTrue();
      } else {
        assertThat(first.closed()).as("closed since keep-alive was not announced").isTrue();
      }
    }
  }

  @ParameterizedTest(name = "{0}: Connection: close closes")
  @ValueSource(strings = {"jetty", "netty"})
  void connectionCloseCloses(String kind) throws IOException {
    try (Socket s = new Socket("127.0.0.1", server(kind).port())) {
      s.setSoTimeout(5_000);
      HostileRequests.Answer a = send(s, "GET /items/7 HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
      assertThat(a.status()).isEqualTo(200);
      assertThat(a.closed()).as("closed after %s", a).isTrue();
    }
  }

  @ParameterizedTest(name = "{0}: Expect: 100-continue")
  @ValueSource(strings = {"jetty", "netty"})
  void expectContinue(String kind) throws IOException {
    int before = runs(kind).get();
    try (Socket s = new Socket("127.0.0.1", server(kind).port())) {
      s.setSoTimeout(5_000);
      HostileRequests.Answer interim = send(s,
          "POST /items/7 HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
      assertThat(interim.status()).isEqualTo(100);
      HostileRequests.Answer done = send(s, "abc");
      assertThat(done.status()).isEqualTo(200);
    }
    assertThat(runs(kind).get()).isEqualTo(before + 1);
  }

  @ParameterizedTest(name = "{0}: obsolete line folding is refused")
  @ValueSource(strings = {"jetty", "netty"})
  void obsFoldIsRefused(String kind) {
    HostileRequests.Case fold = cases().stream().filter(c -> c.name().equals("obs-fold")).findFirst().orElseThrow();
    int before = runs(kind).get();
    HostileRequests.Answer a = HostileRequests.exchange(server(kind).port(), fold.bytes(), Duration.ofSeconds(5));
    assertThat(a.status()).isEqualTo(400);
    assertThat(a.closed()).isTrue();
    assertThat(runs(kind).get()).isEqualTo(before);
  }

  /**
   * HTTP/1.1 pipelining (RFC 9112 §9.3.2): responses go out in request order, so a refusal the
   * pipeline decides at once (a malformed request behind a slow one) must not overtake, or cut off,
   * the response the application still owes; a slow response followed by a fast one stays in order.
   */
  @Test
  void pipelinedRequestsAreAnsweredInOrder() throws Exception {
    SafeHttpServerPipeline slow = SafeHttpServerPipeline.builder()
        .application(SlowFirstApp::new)
        .build();
    try (TestHttpServers.Running server = TestHttpServers.nettyPipeline(slow::configure)) {
      String first = "GET /slow HTTP/1.1\r\nHost: test\r\n\r\n";
      String fast = "GET /fast HTTP/1.1\r\nHost: test\r\n\r\n";
      String twoHosts = "GET /two-hosts HTTP/1.1\r\nHost: test\r\nHost: other\r\n\r\n";
      try (Socket s = new Socket("127.0.0.1", server.port())) {
        s.setSoTimeout(5_000);
        s.getOutputStream().write((first + fast + twoHosts).getBytes(StandardCharsets.US_ASCII));
        java.io.InputStream in = s.getInputStream();
        List<String> answers = List.of(readOne(in), readOne(in), readOne(in));
        assertThat(answers).as("answers in the order received")
            .containsExactly("200 /slow", "200 /fast", "400");
        assertThat(in.read()).as("closed after the refusal").isEqualTo(-1);
      }
    }
  }

  /** One response with a Content-Length body as "status body" ("status" when the body is not plain text). */
  private static String readOne(java.io.InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        return "closed after [" + head + "]";
      }
      head.append((char) b);
    }
    String[] lines = head.toString().split("\r\n");
    int length = 0;
    boolean text = false;
    for (String line : lines) {
      String l = line.toLowerCase(java.util.Locale.ROOT);
      if (l.startsWith("content-length:")) {
        length = Integer.parseInt(l.substring(15).trim());
      }
    }
    String body = new String(in.readNBytes(length), StandardCharsets.US_ASCII);
    String status = lines[0].split(" ")[1];
    return body.startsWith("/") ? status + " " + body : status;
  }

  /** Answers with the request's path: /slow after 300 ms (a database call), others at once. */
  private static final class SlowFirstApp extends io.netty.channel.SimpleChannelInboundHandler<io.netty.handler.codec.http.HttpObject> {
    private String path = "";

    @Override
    protected void channelRead0(io.netty.channel.ChannelHandlerContext ctx, io.netty.handler.codec.http.HttpObject msg) {
      if (msg instanceof io.netty.handler.codec.http.HttpRequest r) {
        path = r.uri();
      }
      if (msg instanceof io.netty.handler.codec.http.LastHttpContent) {
        String p = path;
        Runnable answer = () -> {
          var response = new io.netty.handler.codec.http.DefaultFullHttpResponse(
              io.netty.handler.codec.http.HttpVersion.HTTP_1_1, io.netty.handler.codec.http.HttpResponseStatus.OK,
              io.netty.buffer.Unpooled.copiedBuffer(p, StandardCharsets.US_ASCII));
          response.headers().setInt(io.netty.handler.codec.http.HttpHeaderNames.CONTENT_LENGTH, p.length());
          ctx.writeAndFlush(response);
        };
        if (p.equals("/slow")) {
          ctx.executor().schedule(answer, 300, TimeUnit.MILLISECONDS);
        } else {
          answer.run();
        }
      }
    }
  }

  @Test
  void builderChecksItsOptions() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> SafeHttpServerPipeline.builder().build())
        .isInstanceOf(IllegalStateException.class).hasMessage("application must be set");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> SafeHttpServerPipeline.builder().maxHeaderSize(10))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxHeaderSize");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> SafeHttpServerPipeline.builder().idleTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("idleTimeout");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> SafeHttpServerPipeline.builder().idleTimeout(TIMEOUT).idleTimeout(TIMEOUT))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("idleTimeout was already set");
  }
}
