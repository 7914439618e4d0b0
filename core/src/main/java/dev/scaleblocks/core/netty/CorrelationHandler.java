package dev.scaleblocks.core.netty;

import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import dev.scaleblocks.core.http.RequestCorrelation;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AttributeKey;
import java.util.ArrayDeque;
import org.jspecify.annotations.Nullable;

/**
 * Netty handler for request correlation and telemetry (see {@link RequestCorrelation}): resolves
 * the request id of every {@link HttpRequest}, stores it in the channel attribute {@link
 * #REQUEST_ID}, puts it in the SLF4J MDC while the request travels up the pipeline on the event
 * loop, adds it to the matching {@link HttpResponse}, and times each request until the last
 * content of its response is flushed. Pipelined requests are matched to responses in order.
 *
 * <p>A request the codec failed to decode, or that {@link MalformedRequests} finds malformed, is
 * refused here (400 / 414 / 431, {@code Connection: close}) and never passed on.
 *
 * <p>Place it right after the {@code HttpServerCodec} (or use {@link SafeHttpServerPipeline}). Not sharable: add a new instance per
 * channel (the {@link RequestCorrelation} it is given is shared). Cost per request: see {@link
 * RequestCorrelation#start}.
 */
@SuppressWarnings("FutureReturnValueIgnored") // write(msg, promise) returns that promise, which carries the outcome
public final class CorrelationHandler extends ChannelDuplexHandler {

  /** The id of the request most recently received on the channel. */
  public static final AttributeKey<String> REQUEST_ID = AttributeKey.valueOf("scaleblocks.requestId");

  private final RequestCorrelation correlation;
  private final ArrayDeque<RequestCorrelation.Exchange> inFlight = new ArrayDeque<>(2);
  private RequestCorrelation.@Nullable Exchange responding;
  private int respondingStatus;

  public CorrelationHandler(RequestCorrelation correlation) {
    this.correlation = requireNonNull(correlation, "correlation");
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (MalformedRequests.refuse(ctx, msg)) {
      return;
    }
    if (!(msg instanceof HttpRequest request)) {
      ctx.fireChannelRead(msg);
      return;
    }
    RequestCorrelation.Exchange exchange =
        correlation.start(NettyRequestView.of(request, ctx.channel()));
    inFlight.add(exchange);
    ctx.channel().attr(REQUEST_ID).set(exchange.requestId());
    RequestCorrelation.CorrelationScope scope = exchange.makeCurrent();
    try {
      ctx.fireChannelRead(msg);
    } finally {
      scope.close();
    }
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof HttpResponse response
        && response.status().codeClass() != io.netty.handler.codec.http.HttpStatusClass.INFORMATIONAL) {
      RequestCorrelation.Exchange exchange = inFlight.poll();
      if (exchange != null) {
        if (!response.headers().contains(correlation.requestIdHeader())) {
          response.headers().set(correlation.requestIdHeader(), exchange.requestId());
        }
        responding = exchange;
        respondingStatus = response.status().code();
      }
    }
    RequestCorrelation.Exchange exchange = responding;
    if (exchange != null && msg instanceof LastHttpContent) {
      responding = null;
      int status = respondingStatus;
      promise = promise.unvoid();
      promise.addListener(f -> exchange.end(status, f.isSuccess() ? null : f.cause()));
    }
    ctx.write(msg, promise);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    RequestCorrelation.Exchange r = responding;
    if (r != null) {
      r.end(respondingStatus, null);
      responding = null;
    }
    RequestCorrelation.Exchange e;
    while ((e = inFlight.poll()) != null) {
      e.end(0, null);
    }
    ctx.fireChannelInactive();
  }
}

