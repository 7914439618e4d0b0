package dev.scaleblocks.ratelimit.netty;

import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import dev.scaleblocks.ratelimit.concurrency.ConcurrencyLimit;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.jspecify.annotations.Nullable;

/**
 * Netty handler that sheds load with a {@link ConcurrencyLimit}: a request admitted under the limit
 * travels on and releases its permit when its response's last content is written; a request over
 * the limit is released (its body discarded) and answered at once with 503, {@code Retry-After: 1}
 * and an {@code application/problem+json} body. A 503 or 504 response from the application reports
 * the permit as {@link ConcurrencyLimit.Permit#dropped() dropped}; a channel that closes with a
 * request in flight gives its permit back unmeasured.
 *
 * <p>It answers a refused request at once, so put it where pipelined requests arrive one at a
 * time: in a {@link dev.scaleblocks.core.netty.SafeHttpServerPipeline}, through its builder's
 * {@code loadShedding(() -> new ConcurrencyLimitHandler(limit))}, which passes them on one at a
 * time. Not sharable: one per channel; the
 * limit is shared. Never blocks: one compare-and-set per request.
 */
@SuppressWarnings("FutureReturnValueIgnored") // write(msg, promise) returns that promise, which carries the outcome
public final class ConcurrencyLimitHandler extends ChannelDuplexHandler {

  private final ConcurrencyLimit limit;
  private ConcurrencyLimit.@Nullable Permit permit;
  private boolean overloadAnswer;
  private boolean discarding;

  public ConcurrencyLimitHandler(ConcurrencyLimit limit) {
    this.limit = requireNonNull(limit, "limit");
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest request) {
      discarding = false;
      ConcurrencyLimit.Permit p = limit.tryAcquire();
      if (p == null) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        discarding = !(request instanceof LastHttpContent);
        ReferenceCountUtil.release(request);
        refuse(ctx, request, keepAlive);
        return;
      }
      ConcurrencyLimit.Permit previous = permit;
      if (previous != null) {
        previous.release(); // a response the application never finished: do not leak the slot
      }
      permit = p;
      overloadAnswer = false;
      ctx.fireChannelRead(msg);
      return;
    }
    if (discarding) {
      if (msg instanceof LastHttpContent) {
        discarding = false;
      }
      ReferenceCountUtil.release(msg);
      return;
    }
    ctx.fireChannelRead(msg);
  }

  private static void refuse(ChannelHandlerContext ctx, HttpRequest request, boolean keepAlive) {
    byte[] body = ConcurrencyLimit.problemBody();
    FullHttpResponse response = new DefaultFullHttpResponse(request.protocolVersion(),
        HttpResponseStatus.SERVICE_UNAVAILABLE, Unpooled.wrappedBuffer(body));
    response.headers().set(HttpHeaderNames.RETRY_AFTER, "1");
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/problem+json");
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    HttpUtil.setKeepAlive(response, keepAlive);
    ChannelPromise promise = ctx.newPromise();
    ctx.writeAndFlush(response, promise);
    if (!keepAlive) {
      promise.addListener(ChannelFutureListener.CLOSE);
    }
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof HttpResponse response && response.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
      int code = response.status().code();
      overloadAnswer = code == 503 || code == 504;
    }
    boolean ends = msg instanceof LastHttpContent
        && !(msg instanceof HttpResponse r && r.status().codeClass() == HttpStatusClass.INFORMATIONAL);
    ctx.write(msg, promise);
    ConcurrencyLimit.Permit p = permit;
    if (ends && p != null) {
      permit = null;
      if (overloadAnswer) {
        p.dropped();
      } else {
        p.release();
      }
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    giveBack();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    giveBack();
  }

  private void giveBack() {
    ConcurrencyLimit.Permit p = permit;
    if (p != null) {
      permit = null;
      p.ignore();
    }
  }
}
