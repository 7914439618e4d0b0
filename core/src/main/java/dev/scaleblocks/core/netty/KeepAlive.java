package dev.scaleblocks.core.netty;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayDeque;

/**
 * Connection persistence per RFC 9112 §9.3 for the {@link SafeHttpServerPipeline}: a connection
 * stays open after a response only when the request asked for it (HTTP/1.1 unless {@code
 * Connection: close}; HTTP/1.0 only with {@code Connection: keep-alive}), the response did not say
 * {@code close}, and the response's length is known without closing (a {@code Content-Length}, a
 * status without content, or chunked coding for an HTTP/1.1 request). A kept HTTP/1.0 connection
 * is announced with {@code Connection: keep-alive}; otherwise the response says {@code Connection:
 * close} and the channel closes once its last content is written. Requests pipelined behind one
 * that closes are released unanswered.
 *
 * <p>Pipelined requests (RFC 9112 §9.3.2) are passed on one at a time: a request that arrives
 * while the response to the one before is not written in full is held, with everything read
 * behind it, and reading stops until that response's last content is written. So every handler
 * behind this one, and the application, answer in request order by construction: a refusal decided
 * at once (a malformed request, a rate limit) cannot overtake, or cut off by closing, a response
 * still being prepared, and a fast response cannot overtake a slow one. Held messages are at most
 * what one read decoded (reading is off meanwhile) and are released if the channel closes.
 *
 * <p>Not thread-safe: one per channel, used on its event loop.
 */
@SuppressWarnings("FutureReturnValueIgnored") // write(msg, promise) returns that promise, which carries the outcome
final class KeepAlive extends ChannelDuplexHandler {

  /** Per request in flight, in order: whether it asked for a persistent connection. */
  private final ArrayDeque<Boolean> requests = new ArrayDeque<>(2);
  /** Per request in flight, in order: whether it was HTTP/1.0. */
  private final ArrayDeque<Boolean> http10 = new ArrayDeque<>(2);
  private boolean closing;
  private boolean lastRequest;
  private boolean closeAfterLast;
  /** Requests passed on whose response has not been written in full yet (0 or 1). */
  private int unanswered;
  /** Messages read behind a request still waiting for its response, in order. */
  private final ArrayDeque<Object> held = new ArrayDeque<>(2);
  private boolean releaseScheduled;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (closing) {
      io.netty.util.ReferenceCountUtil.release(msg);
      return;
    }
    if (!held.isEmpty() || (msg instanceof HttpRequest && unanswered > 0)) {
      held.add(msg);
      ctx.channel().config().setAutoRead(false);
      return;
    }
    pass(ctx, msg);
  }

  private void pass(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest request) {
      unanswered++;
      boolean old = request.protocolVersion().equals(HttpVersion.HTTP_1_0);
      requests.add(HttpUtil.isKeepAlive(request));
      http10.add(old);
      lastRequest = !HttpUtil.isKeepAlive(request);
    }
    if (lastRequest && msg instanceof io.netty.handler.codec.http.LastHttpContent) {
      closing = true; // nothing after this request is read
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof HttpResponse response && response.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
      Boolean asked = requests.poll();
      Boolean old = http10.poll();
      boolean requestKeepAlive = asked == null || asked;
      boolean oldRequest = old != null && old;
      boolean keep = requestKeepAlive && !closesConnection(response) && lengthKnown(response, oldRequest);
      if (keep) {
        if (oldRequest) {
          response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
      } else {
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        closing = true;
        closeAfterLast = true;
      }
    }
    boolean ends = msg instanceof LastHttpContent
        && !(msg instanceof HttpResponse r && r.status().codeClass() == HttpStatusClass.INFORMATIONAL);
    if (closeAfterLast && msg instanceof LastHttpContent) {
      closeAfterLast = false;
      promise = promise.unvoid();
      promise.addListener(ChannelFutureListener.CLOSE);
    }
    ctx.write(msg, promise);
    if (ends && unanswered > 0 && --unanswered == 0 && !held.isEmpty() && !releaseScheduled) {
      // the next request goes on from the event loop, not from inside the application's write
      releaseScheduled = true;
      ctx.executor().execute(() -> releaseHeld(ctx));
    }
  }

  /** Passes held messages on until the next request is passed (and awaits its response). */
  private void releaseHeld(ChannelHandlerContext ctx) {
    releaseScheduled = false;
    Object next;
    while (unanswered == 0 && (next = held.peek()) != null) {
      held.poll();
      if (closing) {
        io.netty.util.ReferenceCountUtil.release(next);
      } else {
        pass(ctx, next);
      }
    }
    while (unanswered > 0 && (next = held.peek()) != null && !(next instanceof HttpRequest)) {
      held.poll(); // the rest of the request just passed on: its content
      pass(ctx, next);
    }
    if (held.isEmpty() && !closing && ctx.channel().isActive()) {
      ctx.channel().config().setAutoRead(true);
      ctx.read();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    dropHeld();
    super.channelInactive(ctx);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    dropHeld();
  }

  private void dropHeld() {
    Object m;
    while ((m = held.poll()) != null) {
      io.netty.util.ReferenceCountUtil.release(m);
    }
  }

  private static boolean closesConnection(HttpResponse response) {
    return response.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true);
  }

  private static boolean lengthKnown(HttpResponse response, boolean oldRequest) {
    int code = response.status().code();
    if (code == 204 || code == 304) {
      return true;
    }
    if (HttpUtil.isContentLengthSet(response)) {
      return true;
    }
    return !oldRequest && HttpUtil.isTransferEncodingChunked(response);
  }
}
