package dev.scaleblocks.ratelimit.netty;

import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import dev.scaleblocks.core.netty.MalformedRequests;
import dev.scaleblocks.core.netty.NettyRequestView;
import dev.scaleblocks.core.netty.ResponseHeaderQueue;
import dev.scaleblocks.ratelimit.http.HttpRateLimit;
import io.netty.buffer.ByteBuf;
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
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Netty handler that rate-limits HTTP requests as configured by an {@link HttpRateLimit}.
 *
 * <p>It never blocks the event loop: for each request it calls the limiters' {@code
 * tryAcquireAsync}, turns off auto-read and holds the request (and any content or pipelined
 * request that arrives meanwhile) until the decision completes, then resumes on the channel's
 * event loop ({@code ctx.executor()}). An allowed request travels on with the rate-limit headers
 * added to its response; a rejected one is released and answered with 429 (or 503), {@code
 * Retry-After} and an {@code application/problem+json} body, and the rest of its body is
 * discarded. Every held message is released if the channel closes first. A decision already
 * complete (a local limiter) resumes at once without a task hop.
 *
 * <p>A request the codec failed to decode, or that {@link MalformedRequests} finds malformed, is
 * counted against its client like any other, then refused (400 / 414 / 431, or the rejection when
 * over quota, with {@code Connection: close}) and never passed on.
 *
 * <p>Place it after the {@code HttpServerCodec} (an aggregator before it is optional), or let
 * {@link dev.scaleblocks.core.netty.SafeHttpServerPipeline} place it. Not sharable: add a new
 * instance per channel; the {@link HttpRateLimit} is shared. Pipelined requests are decided in
 * order, and answered in order (RFC 9112 §9.3.2): a refusal decided while the application still
 * owes the response to an earlier request on the connection waits until that response's last
 * content is written, and the requests behind it wait with it.
 *
 * <p>With refunds configured ({@link HttpRateLimit.Builder#refundWhen}, {@link
 * HttpRateLimit.Builder#refundCancelled}), each admitted request's outcome is settled by the status
 * of the response written for it (in order, as pipelined responses are), or as cancelled when the
 * channel closes before its response; the refund is sent without waiting.
 */
// write(msg, promise) returns that promise, which carries the outcome; the decision future's
// callback only hands the request back to the event loop
@SuppressWarnings("FutureReturnValueIgnored")
public final class RateLimitHandler extends ChannelDuplexHandler {

  private static final Logger log = LoggerFactory.getLogger(RateLimitHandler.class);

  private final HttpRateLimit rateLimit;
  private final ArrayDeque<Object> held = new ArrayDeque<>(4);
  private final ResponseHeaderQueue responseHeaders = new ResponseHeaderQueue();
  private boolean waiting;
  private boolean discarding;
  private boolean closed;
  /** Requests passed to the application whose response has not been written in full yet. */
  private int unanswered;
  /** A refusal held back until the application's earlier responses are out; then sent. */
  private @Nullable Runnable deferredRefusal;
  /**
   * With refunds on: per request passed to the application whose response has not started, in
   * order, its outcome ({@link #NO_REFUND} for one not limited).
   */
  private final ArrayDeque<Object> awaitingStatus = new ArrayDeque<>(2);
  private static final Object NO_REFUND = new Object();

  public RateLimitHandler(HttpRateLimit rateLimit) {
    this.rateLimit = requireNonNull(rateLimit, "rateLimit");
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (waiting) {
      held.add(msg);
      return;
    }
    process(ctx, msg);
  }

  private void process(ChannelHandlerContext ctx, Object msg) {
    if (MalformedRequests.refused(ctx)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    int refusal = MalformedRequests.refusalStatus(ctx, msg);
    if (refusal != 0) {
      refuse(ctx, msg, refusal);
      return;
    }
    if (msg instanceof HttpRequest request) {
      discarding = false;
      HttpRateLimit.Pending pending = rateLimit.prepare(NettyRequestView.of(request, ctx.channel()));
      if (pending == null) {
        responseHeaders.add(List.of());
        forward(ctx, request, null);
        return;
      }
      CompletableFuture<HttpRateLimit.Outcome> future = pending.decideAsync();
      if (future.isDone()) {
        resume(ctx, request, future.join());
        return;
      }
      waiting = true;
      ctx.channel().config().setAutoRead(false);
      future.whenComplete(
          (outcome, error) ->
              ctx.executor().execute(() -> {
                waiting = false;
                if (outcome == null) {
                  log.warn("rate limit decision failed; request allowed", error);
                  responseHeaders.add(List.of());
                  forward(ctx, request, null);
                } else {
                  resume(ctx, request, outcome);
                }
                drain(ctx);
              }));
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

  /**
   * A malformed request still spends its client's quota (a flood of broken requests is limited like
   * any other) and is then answered with {@code status}, or with the rejection when over quota.
   */
  private void refuse(ChannelHandlerContext ctx, Object msg, int status) {
    ReferenceCountUtil.release(msg);
    HttpRateLimit.Pending pending = msg instanceof HttpRequest request
        ? rateLimit.prepare(NettyRequestView.of(request, ctx.channel())) : null;
    if (pending == null) {
      MalformedRequests.answer(ctx, status, List.of());
      return;
    }
    CompletableFuture<HttpRateLimit.Outcome> future = pending.decideAsync();
    if (future.isDone()) {
      answerRefused(ctx, status, future.join());
      return;
    }
    waiting = true;
    ctx.channel().config().setAutoRead(false);
    future.whenComplete((outcome, error) -> ctx.executor().execute(() -> {
      waiting = false;
      answerRefused(ctx, status, outcome);
      drain(ctx);
    }));
  }

  private void answerRefused(ChannelHandlerContext ctx, int status, HttpRateLimit.@Nullable Outcome outcome) {
    if (closed) {
      return;
    }
    if (unanswered > 0) {
      deferUntilAnswered(ctx, () -> answerRefused(ctx, status, outcome));
      return;
    }
    if (outcome == null) {
      MalformedRequests.answer(ctx, status, List.of());
    } else {
      MalformedRequests.answer(ctx, outcome.rejected() ? outcome.status() : status, outcome.headers());
    }
  }

  private void resume(ChannelHandlerContext ctx, HttpRequest request, HttpRateLimit.Outcome outcome) {
    if (!outcome.rejected()) {
      responseHeaders.add(outcome.headers());
      forward(ctx, request, outcome);
      return;
    }
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    discarding = !(request instanceof LastHttpContent);
    HttpVersion version = request.protocolVersion();
    ReferenceCountUtil.release(request);
    reject(ctx, version, keepAlive, outcome);
  }

  private void reject(ChannelHandlerContext ctx, HttpVersion version, boolean keepAlive, HttpRateLimit.Outcome outcome) {
    if (closed) {
      return;
    }
    if (unanswered > 0) {
      deferUntilAnswered(ctx, () -> reject(ctx, version, keepAlive, outcome));
      return;
    }
    ByteBuf body = Unpooled.copiedBuffer(outcome.problemBody(), StandardCharsets.UTF_8);
    FullHttpResponse response =
        new DefaultFullHttpResponse(version, HttpResponseStatus.valueOf(outcome.status()), body);
    for (Map.Entry<String, String> h : outcome.headers()) {
      response.headers().set(h.getKey(), h.getValue());
    }
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/problem+json");
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
    HttpUtil.setKeepAlive(response, keepAlive);
    ChannelPromise promise = ctx.newPromise();
    ctx.writeAndFlush(response, promise);
    if (!keepAlive) {
      promise.addListener(ChannelFutureListener.CLOSE);
    }
  }

  private void forward(ChannelHandlerContext ctx, HttpRequest request,
      HttpRateLimit.@Nullable Outcome outcome) {
    if (closed) {
      ReferenceCountUtil.release(request);
      if (outcome != null) {
        outcome.cancelled();
      }
      return;
    }
    if (rateLimit.refunds()) {
      awaitingStatus.add(outcome == null ? NO_REFUND : outcome);
    }
    unanswered++;
    ctx.fireChannelRead(request);
  }

  /**
   * Holds {@code refusal} (and, by waiting, every message behind it) until the application has
   * written the responses it owes; {@link #write} sends it after the last of them.
   */
  private void deferUntilAnswered(ChannelHandlerContext ctx, Runnable refusal) {
    deferredRefusal = refusal;
    waiting = true;
    ctx.channel().config().setAutoRead(false);
  }

  private void drain(ChannelHandlerContext ctx) {
    Object next;
    while (!waiting && (next = held.poll()) != null) {
      if (closed) {
        ReferenceCountUtil.release(next);
      } else {
        process(ctx, next);
      }
    }
    if (!waiting && !closed && !MalformedRequests.refused(ctx)) {
      ctx.channel().config().setAutoRead(true);
      ctx.read();
    }
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    responseHeaders.applyTo(msg);
    if (msg instanceof HttpResponse r && r.status().codeClass() != HttpStatusClass.INFORMATIONAL
        && awaitingStatus.poll() instanceof HttpRateLimit.Outcome outcome) {
      outcome.complete(r.status().code());
    }
    boolean ends = msg instanceof LastHttpContent
        && !(msg instanceof HttpResponse r && r.status().codeClass() == HttpStatusClass.INFORMATIONAL);
    ctx.write(msg, promise);
    if (ends && unanswered > 0 && --unanswered == 0) {
      Runnable refusal = deferredRefusal;
      if (refusal != null) {
        deferredRefusal = null;
        refusal.run(); // right behind the response it waited for
        // the held requests go on from the event loop, not from inside the application's write
        ctx.executor().execute(() -> {
          if (!closed && deferredRefusal == null) {
            waiting = false;
            drain(ctx);
          }
        });
      }
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    closed = true;
    deferredRefusal = null;
    releaseHeld();
    cancelUnanswered();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    closed = true;
    deferredRefusal = null;
    releaseHeld();
    awaitingStatus.clear(); // the handler no longer sees their responses: nothing to tell
  }

  /** Requests passed on whose response never started: the channel closed first. */
  private void cancelUnanswered() {
    Object o;
    while ((o = awaitingStatus.poll()) != null) {
      if (o instanceof HttpRateLimit.Outcome outcome) {
        outcome.cancelled();
      }
    }
  }

  private void releaseHeld() {
    Object m;
    while ((m = held.poll()) != null) {
      ReferenceCountUtil.release(m);
    }
  }
}
