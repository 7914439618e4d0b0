package dev.scaleblocks.core.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The slow-request defence of {@link SafeHttpServerPipeline}: a request must arrive whole (request
 * line, header section and body) within a deadline counted from its first byte, however slowly
 * its bytes trickle in. Two handlers share one per-channel state: {@link #bytes()} before the
 * codec starts the clock on the first byte of a request, {@link #messages()} after the codec stops
 * it at the request's last content. When the deadline passes before the header section is
 * complete the client gets 408 and the channel closes; after it (the body is late) the channel
 * closes. An {@link IdleStateEvent} closes the channel too.
 *
 * <p>The byte handler also scans each request's raw header section for obsolete line folding (a
 * line that starts with a space or tab), which the codec would otherwise unfold silently; such a
 * request is refused with 400 (RFC 9112 §5.2). Only the first request of each read burst is
 * scanned: one pipelined behind another in the same read is left to the codec.
 *
 * <p>Not thread-safe: one instance per channel, used on its event loop.
 */
@SuppressWarnings("FutureReturnValueIgnored") // close() futures: the channel's closeFuture carries the outcome
final class RequestDeadline {

  private final long timeoutNanos;
  private boolean inRequest;
  private boolean headersDone;
  // raw header-section scan for obs-fold: on from a request's first byte to its empty line
  private boolean scanning;
  private boolean lineStart;
  private boolean sectionEnding;
  private boolean folded;
  private @Nullable ScheduledFuture<?> timer;

  RequestDeadline(long timeoutNanos) {
    this.timeoutNanos = timeoutNanos;
  }

  ChannelInboundHandlerAdapter bytes() {
    return new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!inRequest && msg instanceof ByteBuf buf && buf.isReadable()) {
          inRequest = true;
          headersDone = false;
          ChannelHandlerContext codecSide = ctx;
          timer = ctx.executor().schedule(() -> expire(codecSide), timeoutNanos, TimeUnit.NANOSECONDS);
          scanning = true;
          lineStart = false;
          sectionEnding = false;
        }
        if (scanning && msg instanceof ByteBuf buf) {
          scan(buf);
        }
        ctx.fireChannelRead(msg);
      }

      @Override
      public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
          ctx.close();
          return;
        }
        ctx.fireUserEventTriggered(evt);
      }

      @Override
      public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
      }
    };
  }

  ChannelDuplexHandler messages() {
    return new ChannelDuplexHandler() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
          headersDone = true;
          if (folded) {
            folded = false;
            io.netty.util.ReferenceCountUtil.release(msg);
            MalformedRequests.answer(ctx, 400, List.of());
            return;
          }
        }
        if (msg instanceof LastHttpContent) {
          inRequest = false;
          cancel();
        }
        ctx.fireChannelRead(msg);
      }
    };
  }

  /** Looks for a header line that starts with a space or tab, until the header section ends. */
  private void scan(ByteBuf buf) {
    for (int i = buf.readerIndex(); i < buf.writerIndex() && scanning; i++) {
      byte b = buf.getByte(i);
      if (sectionEnding) {
        scanning = b != '\n';
        sectionEnding = false;
        lineStart = false;
      } else if (lineStart) {
        lineStart = false;
        if (b == ' ' || b == '\t') {
          folded = true;
          scanning = false;
        } else if (b == '\r') {
          sectionEnding = true;
        } else if (b == '\n') {
          scanning = false;
        }
      } else if (b == '\n') {
        lineStart = true;
      }
    }
  }

  private void cancel() {
    ScheduledFuture<?> t = timer;
    if (t != null) {
      t.cancel(false);
      timer = null;
    }
  }

  private void expire(ChannelHandlerContext bytesCtx) {
    timer = null;
    if (!inRequest || !bytesCtx.channel().isActive()) {
      return;
    }
    if (headersDone) {
      bytesCtx.close();
      return;
    }
    // answered from behind the codec, so that the 408 is encoded on its way out
    ChannelHandlerContext behindCodec = bytesCtx.pipeline().context(SafeHttpServerPipeline.DEADLINE);
    if (behindCodec == null) {
      bytesCtx.close();
      return;
    }
    MalformedRequests.answer(behindCodec, 408, List.of());
  }
}
