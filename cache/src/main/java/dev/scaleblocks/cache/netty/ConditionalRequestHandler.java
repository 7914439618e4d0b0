package dev.scaleblocks.cache.netty;

import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import dev.scaleblocks.cache.http.Conditionals;
import dev.scaleblocks.cache.http.HttpCaching;
import dev.scaleblocks.core.netty.MalformedRequests;
import dev.scaleblocks.core.netty.NettyRequestView;
import dev.scaleblocks.core.netty.ResponseHeaderQueue;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.List;
import java.util.Map;

/**
 * Netty handler applying an {@link HttpCaching} configuration: answers 304 / 412 from the route's
 * validator source on the event loop before the request reaches the application (the request and
 * its body are released, nothing is rendered), and adds {@code ETag}, {@code Last-Modified},
 * {@code Cache-Control} and {@code Vary} to the responses it lets through unless already set.
 *
 * <p>A request the codec failed to decode, or that {@link MalformedRequests} finds malformed, is
 * refused here (400 / 414 / 431, {@code Connection: close}) before any precondition is looked at,
 * and never passed on: a dropped {@code If-Match} cannot turn into an unconditional write.
 *
 * <p>The validator source runs on the event loop: it must not block (an L1 lookup is fine). Not
 * sharable: one instance per channel.
 */
@SuppressWarnings("FutureReturnValueIgnored") // write(msg, promise) returns that promise, which carries the outcome
public final class ConditionalRequestHandler extends ChannelDuplexHandler {

  private final HttpCaching caching;
  private final ResponseHeaderQueue pending = new ResponseHeaderQueue();
  private boolean discarding;

  public ConditionalRequestHandler(HttpCaching caching) {
    this.caching = requireNonNull(caching, "caching");
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (MalformedRequests.refuse(ctx, msg)) {
      return;
    }
    if (msg instanceof HttpRequest request) {
      discarding = false;
      HttpCaching.Plan plan = caching.plan(NettyRequestView.of(request, ctx.channel()));
      if (plan == null) {
        pending.add(List.of());
        ctx.fireChannelRead(msg);
        return;
      }
      if (plan.result() == Conditionals.Result.PROCEED) {
        pending.add(plan.headers());
        ctx.fireChannelRead(msg);
        return;
      }
      boolean keepAlive = HttpUtil.isKeepAlive(request);
      discarding = !(msg instanceof LastHttpContent);
      ReferenceCountUtil.release(msg);
      FullHttpResponse response = new DefaultFullHttpResponse(request.protocolVersion(),
          HttpResponseStatus.valueOf(plan.result().status()));
      if (plan.result() == Conditionals.Result.NOT_MODIFIED) {
        for (Map.Entry<String, String> h : plan.headers()) {
          response.headers().set(h.getKey(), h.getValue());
        }
      } else {
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
      }
      HttpUtil.setKeepAlive(response, keepAlive);
      ChannelPromise promise = ctx.newPromise();
      ctx.writeAndFlush(response, promise);
      if (!keepAlive) {
        promise.addListener(ChannelFutureListener.CLOSE);
      }
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

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    pending.applyTo(msg);
    ctx.write(msg, promise);
  }
}
