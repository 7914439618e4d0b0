package dev.scaleblocks.core.netty;

import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Refuses HTTP/1.x requests that must never reach an application, on behalf of every scaleblocks
 * Netty handler that sees requests ({@link CorrelationHandler}, the rate-limit, conditional and
 * entity-tag handlers, and the guard of {@link SafeHttpServerPipeline}). A request is refused when
 *
 * <ul>
 *   <li>the codec marked it as failed ({@code decoderResult()}): a request line over the codec's
 *       limit → 414, a header section over it → 431, anything else the codec could not parse
 *       (bad framing, bad chunk, control characters, a header it dropped) → 400; a failed {@code
 *       HttpContent} → 400;
 *   <li>its request target, method or a field holds what RFC 9110/9112 forbid: a control
 *       character or a byte outside visible US-ASCII in the target, a method that is not a token,
 *       a field name that is not a token, a field value with a control character other than HTAB
 *       → 400;
 *   <li>its framing is ambiguous (RFC 9112 §6): {@code Transfer-Encoding} together with {@code
 *       Content-Length}, {@code Transfer-Encoding} in HTTP/1.0, a {@code Transfer-Encoding} whose
 *       last coding is not {@code chunked} or that names {@code chunked} twice, several {@code
 *       Content-Length} values that differ or one that is not a non-negative decimal → 400;
 *   <li>an HTTP/1.1 request has no {@code Host}, or any request has several (RFC 9112 §3.2) → 400.
 * </ul>
 *
 * A refused request is released, never passed on, and answered with an {@code
 * application/problem+json} body and {@code Connection: close}; the channel is closed once the
 * answer is written, and every later message on it is released unread (the byte stream cannot be
 * trusted after a framing error). Field values are opaque: bytes 0x80-0xFF ({@code obs-text}) are
 * allowed, as RFC 9110 §5.5 says, and never decoded here.
 *
 * <p>Stateless and thread-safe; per-channel state lives in channel attributes. Cost: one pass over
 * the request target and the field names and values of each request, done once per request
 * however many handlers ask (the verdict is remembered on the channel).
 */
public final class MalformedRequests {

  private static final AttributeKey<Boolean> REFUSED = AttributeKey.valueOf("scaleblocks.http.refused");
  private static final AttributeKey<HttpRequest> ACCEPTED = AttributeKey.valueOf("scaleblocks.http.accepted");

  private MalformedRequests() {}

  /**
   * The status to refuse {@code msg} with: 400, 414 or 431; or 0 when it may proceed (it is not a
   * request or content, or it is well-formed). Never throws.
   */
  public static int refusalStatus(Object msg) {
    if (!(msg instanceof HttpObject object)) {
      return 0;
    }
    DecoderResult result = object.decoderResult();
    if (result != null && result.isFailure()) {
      return msg instanceof HttpRequest ? statusOf(result.cause()) : 400;
    }
    if (msg instanceof HttpRequest request) {
      return check(request);
    }
    return 0;
  }

  /**
   * {@link #refusalStatus(Object)}, checked once per request on a channel: a request an earlier
   * handler of the channel found well-formed is not checked again (each handler of a pipeline calls
   * this or {@link #refuse}, and the check reads every header). Call it on the event loop.
   */
  public static int refusalStatus(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof HttpRequest request)) {
      return refusalStatus(msg);
    }
    if (ctx.channel().attr(ACCEPTED).get() == request) {
      return 0;
    }
    int status = refusalStatus(msg);
    if (status == 0) {
      ctx.channel().attr(ACCEPTED).set(request);
    }
    return status;
  }

  /**
   * If {@code msg} must not reach the application (see the class comment), or an earlier request
   * on the channel was refused, releases it, answers (once per channel) and returns true; else
   * returns false and leaves {@code msg} alone. Call it first in {@code channelRead} on the event
   * loop.
   */
  public static boolean refuse(ChannelHandlerContext ctx, Object msg) {
    if (Boolean.TRUE.equals(ctx.channel().attr(REFUSED).get())) {
      ReferenceCountUtil.release(msg);
      return true;
    }
    int status = refusalStatus(ctx, msg);
    if (status == 0) {
      return false;
    }
    ReferenceCountUtil.release(msg);
    answer(ctx, status, List.of());
    return true;
  }

  /** Whether the channel of {@code ctx} has refused a request (and is closing). */
  public static boolean refused(ChannelHandlerContext ctx) {
    return Boolean.TRUE.equals(ctx.channel().attr(REFUSED).get());
  }

  /**
   * Answers {@code status} with a problem body, {@code Connection: close} and {@code headers},
   * closes the channel once written, and marks it so that later messages are released unread.
   * Does nothing when the channel already refused a request. The caller releases the request.
   */
  public static void answer(ChannelHandlerContext ctx, int status, List<Map.Entry<String, String>> headers) {
    requireNonNull(ctx, "ctx");
    if (Boolean.TRUE.equals(ctx.channel().attr(REFUSED).getAndSet(Boolean.TRUE))) {
      return;
    }
    HttpResponseStatus s = HttpResponseStatus.valueOf(status);
    String json = "{\"type\":\"about:blank\",\"title\":\"" + s.reasonPhrase() + "\",\"status\":" + status
        + ",\"detail\":\"" + detail(status) + "\"}";
    ByteBuf body = Unpooled.copiedBuffer(json, StandardCharsets.UTF_8);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, s, body);
    for (Map.Entry<String, String> h : headers) {
      response.headers().set(h.getKey(), h.getValue());
    }
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/problem+json");
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
    response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    ctx.channel().config().setAutoRead(false);
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }

  private static String detail(int status) {
    return switch (status) {
      case 408 -> "the request was not received in time";
      case 414 -> "the request line is longer than this server accepts";
      case 431 -> "the header section is larger than this server accepts";
      default -> "the request is malformed";
    };
  }

  static int statusOf(@Nullable Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof TooLongHttpLineException) {
        return 414;
      }
      if (t instanceof TooLongHttpHeaderException) {
        return 431;
      }
      if (t instanceof TooLongFrameException) {
        return 431;
      }
    }
    return 400;
  }

  private static int check(HttpRequest request) {
    String method = request.method().name();
    if (method.isEmpty() || !isToken(method)) {
      return 400;
    }
    String target = request.uri();
    if (target.isEmpty()) {
      return 400;
    }
    for (int i = 0; i < target.length(); i++) {
      char c = target.charAt(i);
      if (c <= 0x20 || c >= 0x7F) {
        return 400;
      }
    }
    HttpHeaders headers = request.headers();
    int hosts = 0;
    for (Map.Entry<String, String> h : headers) {
      String name = h.getKey();
      if (name.isEmpty() || !isToken(name) || !isFieldValue(h.getValue())) {
        return 400;
      }
      if (name.equalsIgnoreCase("host")) {
        hosts++;
      }
    }
    HttpVersion version = request.protocolVersion();
    if (hosts > 1 || (hosts == 0 && version.majorVersion() == 1 && version.minorVersion() >= 1)) {
      return 400;
    }
    List<String> lengths = headers.getAll(HttpHeaderNames.CONTENT_LENGTH);
    List<String> codings = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
    if (!codings.isEmpty()) {
      if (!lengths.isEmpty() || version.minorVersion() == 0 || !chunkedLast(codings)) {
        return 400;
      }
    }
    if (!lengths.isEmpty() && !oneLength(lengths)) {
      return 400;
    }
    return 0;
  }

  private static boolean chunkedLast(List<String> fieldLines) {
    int chunked = 0;
    String last = "";
    for (String line : fieldLines) {
      for (String coding : line.split(",", -1)) {
        String c = coding.trim().toLowerCase(Locale.ROOT);
        if (c.isEmpty()) {
          continue;
        }
        int semi = c.indexOf(';');
        last = semi < 0 ? c : c.substring(0, semi).trim();
        if (last.equals("chunked")) {
          chunked++;
        }
      }
    }
    return chunked == 1 && last.equals("chunked");
  }

  private static boolean oneLength(List<String> fieldLines) {
    String seen = null;
    for (String line : fieldLines) {
      for (String v : line.split(",", -1)) {
        String d = v.trim();
        if (d.isEmpty() || d.length() > 18) {
          return false;
        }
        for (int i = 0; i < d.length(); i++) {
          if (d.charAt(i) < '0' || d.charAt(i) > '9') {
            return false;
          }
        }
        if (seen != null && !seen.equals(d)) {
          return false;
        }
        seen = d;
      }
    }
    return seen != null;
  }

  private static boolean isToken(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private static boolean isFieldValue(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if ((c < 0x20 && c != '\t') || c == 0x7F || c > 0xFF) {
        return false;
      }
    }
    return true;
  }
}
