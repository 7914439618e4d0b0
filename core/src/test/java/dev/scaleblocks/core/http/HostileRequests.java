package dev.scaleblocks.core.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.IntSupplier;

/**
 * The hostile-input suite shared by the adapter tests of every module: malformed and ambiguous
 * HTTP/1.1 requests sent byte for byte over a raw socket, each with the statuses a server may
 * answer, and whether the connection must then be closed. Every case is a write ({@code POST}
 * with {@code If-Match}) so that a server which let it through would run the application.
 *
 * <p>{@link #check} asserts the status, that the application did not write (its counter of
 * completed writes did not move) unless the answer is a success, and that the connection was
 * closed when it must be; it returns a one-line summary.
 */
public final class HostileRequests {

  private HostileRequests() {}

  /** One hostile request: its bytes, the statuses allowed in answer, and whether it must close. */
  public record Case(String name, byte[] bytes, Set<Integer> statuses, boolean mustClose) {
    @Override
    public String toString() {
      return name;
    }
  }

  /** The path every case writes to. */
  public static final String PATH = "/items/7";

  private static final String TAG = "\"v1\"";

  private static Case of(String name, String request, Set<Integer> statuses) {
    return new Case(name, request.getBytes(StandardCharsets.ISO_8859_1), statuses, true);
  }

  private static String post(String path, String extraHeaders, String body) {
    return "POST " + path + " HTTP/1.1\r\nHost: test\r\nIf-Match: " + TAG + "\r\n" + extraHeaders + "\r\n" + body;
  }

  private static byte[] concat(String a, byte[] b, String c) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(a.getBytes(StandardCharsets.ISO_8859_1));
    out.writeBytes(b);
    out.writeBytes(c.getBytes(StandardCharsets.ISO_8859_1));
    return out.toByteArray();
  }

  /** The cases a single request handler must refuse on its own (behind a strict codec). */
  public static List<Case> requestCases() {
    return requestCases(PATH);
  }

  /** As {@link #requestCases()}, each request aimed at {@code path} (a write endpoint). */
  public static List<Case> requestCases(String path) {
    List<Case> cases = new ArrayList<>();
    Set<Integer> bad = Set.of(400);
    cases.add(of("request line of 20 kB", "POST " + path + "a".repeat(20_000) + " HTTP/1.1\r\nHost: test\r\n\r\n",
        Set.of(414)));
    cases.add(of("query of 200 kB", "POST " + path + "?q=" + "a".repeat(200_000) + " HTTP/1.1\r\nHost: test\r\n\r\n",
        Set.of(414)));
    cases.add(of("one header of 100 kB", post(path, "X-Big: " + "b".repeat(100_000) + "\r\nContent-Length: 0\r\n", ""),
        Set.of(431)));
    StringBuilder hops = new StringBuilder();
    for (int i = 0; i < 5_000; i++) {
      hops.append(i == 0 ? "" : ", ").append("10.0.").append(i / 250).append('.').append(i % 250);
    }
    cases.add(of("X-Forwarded-For of 5 000 hops", post(path, "X-Forwarded-For: " + hops + "\r\nContent-Length: 0\r\n", ""),
        Set.of(431)));
    cases.add(of("If-Match of 8 192 characters",
        "POST " + path + " HTTP/1.1\r\nHost: test\r\nIf-Match: \"" + "x".repeat(8_190) + "\"\r\nContent-Length: 0\r\n\r\n",
        Set.of(431)));
    cases.add(of("If-Match with \\x01", "POST " + path + " HTTP/1.1\r\nHost: test\r\nIf-Match: \"v\u0001\"\r\nContent-Length: 0\r\n\r\n", bad));
    cases.add(of("If-Match with \\x7f", "POST " + path + " HTTP/1.1\r\nHost: test\r\nIf-Match: \"v\u007f\"\r\nContent-Length: 0\r\n\r\n", bad));
    cases.add(of("header value with NUL", post(path, "X-A: a\u0000b\r\nContent-Length: 0\r\n", ""), bad));
    cases.add(of("header name with a space", post(path, "X A: b\r\nContent-Length: 0\r\n", ""), bad));
    cases.add(of("space before the colon (Transfer-Encoding :)",
        post(path, "Transfer-Encoding : chunked\r\n", "1\r\na\r\n0\r\n\r\n"), bad));
    cases.add(of("Content-Length and Transfer-Encoding: chunked",
        post(path, "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n", "1\r\na\r\n0\r\n\r\n"), bad));
    cases.add(of("Transfer-Encoding: chunked, identity",
        post(path, "Transfer-Encoding: chunked, identity\r\n", "1\r\na\r\n0\r\n\r\n"), Set.of(400, 501)));
    cases.add(of("Transfer-Encoding: xchunked", post(path, "Transfer-Encoding: xchunked\r\n", "1\r\na\r\n0\r\n\r\n"),
        Set.of(400, 501)));
    cases.add(of("two Transfer-Encoding lines, chunked first",
        post(path, "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n", "1\r\na\r\n0\r\n\r\n"), Set.of(400, 501)));
    cases.add(of("two different Content-Lengths", post(path, "Content-Length: 1\r\nContent-Length: 2\r\n", "ab"), bad));
    cases.add(of("Content-Length: -1", post(path, "Content-Length: -1\r\n", ""), bad));
    cases.add(of("Content-Length: abc", post(path, "Content-Length: abc\r\n", ""), bad));
    // the header section is sound, so a failed precondition may be answered before the body is read
    cases.add(of("chunk size that is not hex", post(path, "Transfer-Encoding: chunked\r\n", "zz\r\nab\r\n0\r\n\r\n"),
        Set.of(400, 412)));
    // RFC 9112 §5.2: reject with 400, or replace the fold with spaces (Netty's codec unfolds, so a
    // bare handler sees a well-formed field; Jetty and the safe Netty pipeline refuse)
    cases.add(of("obs-fold", post(path, "X-Folded: a\r\n b\r\nContent-Length: 0\r\n", ""), Set.of(200, 400)));
    cases.add(of("control character in the path", "POST " + path + "\u0001 HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n", bad));
    cases.add(of("space inside the path", "POST " + path + " 7 HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n", bad));
    // a request line with bytes outside US-ASCII is malformed; a 400 need not close the connection
    cases.add(new Case("invalid UTF-8 in the path",
        concat("POST " + path, new byte[] {(byte) 0xC3, (byte) 0x28, (byte) 0xFF}, " HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n"),
        bad, false));
    // obs-text (bytes 0x80-0xFF) is allowed in field values and entity tags: opaque, never decoded;
    // the tag does not match, so a conditional write fails with 412; otherwise the request is served
    cases.add(new Case("invalid UTF-8 in header values (obs-text)",
        concat("POST " + path + " HTTP/1.1\r\nHost: test\r\nIf-Match: \"v", new byte[] {(byte) 0xC3, (byte) 0x28, (byte) 0xFF},
            "\"\r\nX-Request-Id: \u00ff\u00fe\r\nContent-Length: 0\r\n\r\n"),
        Set.of(200, 412), false));
    cases.add(of("missing Host on HTTP/1.1", "POST " + path + " HTTP/1.1\r\nIf-Match: " + TAG + "\r\nContent-Length: 0\r\n\r\n", bad));
    cases.add(of("two Host lines", "POST " + path + " HTTP/1.1\r\nHost: a\r\nHost: b\r\nContent-Length: 0\r\n\r\n", bad));
    cases.add(of("garbage request line", "HELLO THERE\r\nHost: test\r\n\r\n", Set.of(400, 505)));
    cases.add(of("method with an illegal character", "PO@ST " + path + " HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n", bad));
    // RFC 9112 §2.2: a recipient MAY take a bare LF as a line end (Jetty does); refusing is safer
    cases.add(new Case("bare LF line endings",
        ("POST " + path + " HTTP/1.1\nHost: test\nIf-Match: " + TAG + "\nContent-Length: 0\n\n").getBytes(StandardCharsets.ISO_8859_1),
        Set.of(200, 400, 412), false));
    return List.copyOf(cases);
  }

  /** Sends {@code c} to 127.0.0.1:{@code port} and asserts the answer; returns a one-line summary. */
  public static String check(int port, Case c, IntSupplier appRuns) {
    int before = appRuns.getAsInt();
    Answer a = exchange(port, c.bytes(), Duration.ofSeconds(10));
    int after = appRuns.getAsInt();
    String summary = String.format(Locale.ROOT, "%-48s -> %s%s, app wrote %d×", c.name(),
        a.status() == 0 ? "no answer" : a.status(), a.closed() ? ", closed" : ", open", after - before);
    // a server that refuses a header section over its limit may close with the rest of the request
    // still unread, so its kernel may reset the connection before the 431 is read: the refusal is
    // then seen as a closed connection (Jetty, once in thousands, under load); the request must
    // still not reach the application
    boolean closedOnOversized = a.status() == 0 && a.closed() && c.statuses().contains(431) && c.bytes().length > READ_WHOLE;
    if (closedOnOversized) {
      assertThat(after - before).as("application writes for: %s", c.name()).isZero();
      return summary + (a == RESET ? " (reset" : " (closed") + " with the oversized request unread)";
    }
    assertThat(a.status()).as("status of: %s (%s)", c.name(), summary).isIn(c.statuses());
    if (a.status() < 200 || a.status() >= 300) {
      assertThat(after - before).as("application writes for: %s", c.name()).isZero();
    }
    if (c.mustClose() && a.status() >= 400) {
      assertThat(a.closed()).as("connection closed after: %s", c.name()).isTrue();
    }
    if (Set.of(400, 408, 414, 431).contains(a.status())) {
      assertThat(a.headers().getOrDefault("content-type", "")).as("content type of: %s", c.name())
          .isIn("application/problem+json", "application/problem+json;charset=utf-8",
              "text/html;charset=iso-8859-1", "text/html;charset=utf-8");
    }
    return summary;
  }

  /** A parsed answer: status (0 when none came), headers by lower-case name, whether closed after. */
  public record Answer(int status, Map<String, String> headers, String body, boolean closed) {}

  /** The answer of a connection the server reset before any status line could be read. */
  private static final Answer RESET = new Answer(0, Map.of("x-test-reset", "true"), "", true);

  /** Largest request every server under test reads whole before answering a too-large header section. */
  private static final int READ_WHOLE = 8 * 1024;

  /** Sends {@code bytes} and reads one answer, then waits up to 3 s for the server to close. */
  public static Answer exchange(int port, byte[] bytes, Duration timeout) {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout((int) timeout.toMillis());
      OutputStream out = s.getOutputStream();
      try {
        out.write(bytes);
        out.flush();
      } catch (IOException e) {
        // the server may close while a large request is still being written; read what it said
      }
      return read(s, Duration.ofSeconds(3));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads one answer from {@code s}, then waits up to {@code closeWait} for end of stream. */
  public static Answer read(Socket s, Duration closeWait) throws IOException {
    InputStream in = s.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int state = 0;
    try {
      while (state < 4) {
        int b = in.read();
        if (b < 0) {
          return head.size() == 0 ? new Answer(0, Map.of(), "", true) : parse(head, "", true);
        }
        head.write(b);
        state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1
            : b == '\r' ? 1 : 0;
      }
    } catch (SocketTimeoutException e) {
      return new Answer(0, Map.of(), "", false);
    } catch (IOException e) {
      return RESET;
    }
    Answer headOnly = parse(head, "", false);
    int length = Integer.parseInt(headOnly.headers().getOrDefault("content-length", "0"));
    byte[] body = in.readNBytes(headOnly.status() == 304 ? 0 : length);
    boolean closed;
    s.setSoTimeout((int) closeWait.toMillis());
    try {
      closed = in.read() < 0;
    } catch (SocketTimeoutException e) {
      closed = false;
    } catch (IOException e) {
      closed = true;
    }
    return parse(head, new String(body, StandardCharsets.UTF_8), closed);
  }

  private static Answer parse(ByteArrayOutputStream head, String body, boolean closed) {
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    String[] statusLine = lines[0].split(" ", 3);
    int status = statusLine.length > 1 ? Integer.parseInt(statusLine[1]) : 0;
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.merge(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
            lines[i].substring(colon + 1).trim(), (x, y) -> x + ", " + y);
      }
    }
    headers.computeIfPresent("content-type", (k, v) -> v.replace(" ", "").toLowerCase(Locale.ROOT));
    return new Answer(status, headers, body, closed);
  }
}
