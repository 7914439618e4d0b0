package dev.scaleblocks.cache.netty;

import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import dev.scaleblocks.cache.http.BodyEtag;
import dev.scaleblocks.cache.http.EntityTag;
import dev.scaleblocks.core.netty.MalformedRequests;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Netty handler that tags GET/HEAD 200 responses with an {@code ETag} hashed from their body and
 * answers a matching {@code If-None-Match} (all its field lines, as one list) with 304. A request
 * the codec failed to decode, or that {@link MalformedRequests} finds malformed, is refused here
 * (400 / 414 / 431, {@code Connection: close}) and never passed on.
 *
 * <p>It holds back at most {@link BodyEtag#maxBytes()} of a response: when the content written
 * grows past the cap, everything held is written (with its original promises) and the rest
 * streams through untagged. Responses that already have an {@code ETag} or are not 200 pass
 * straight through; an application-set {@code Content-Length} is never changed. Flushes are
 * deferred while a response is held. A chunked response held whole is sent with a {@code
 * Content-Length} instead. Place it <em>before</em> (nearer the codec than) a {@link
 * ConditionalRequestHandler}, so that a version tag set there wins. Not sharable: one instance per
 * channel.
 */
@SuppressWarnings("FutureReturnValueIgnored") // write(msg, promise) returns that promise, which carries the outcome
public final class EtagBodyHandler extends ChannelDuplexHandler {

  private record Req(boolean getOrHead, @Nullable String ifNoneMatch) {}

  private record Held(Object msg, ChannelPromise promise) {}

  private final BodyEtag settings;
  private final ArrayDeque<Req> requests = new ArrayDeque<>(2);
  private final List<Held> held = new ArrayList<>();
  private int heldBytes;
  private boolean holding;
  private boolean flushPending;
  private @Nullable String heldIfNoneMatch;

  public EtagBodyHandler(BodyEtag settings) {
    this.settings = requireNonNull(settings, "settings");
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (MalformedRequests.refuse(ctx, msg)) {
      return;
    }
    if (msg instanceof HttpRequest r) {
      List<String> lines = r.headers().getAll(HttpHeaderNames.IF_NONE_MATCH);
      requests.add(new Req(r.method().equals(HttpMethod.GET) || r.method().equals(HttpMethod.HEAD),
          lines.isEmpty() ? null : String.join(", ", lines)));
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof HttpResponse response && response.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
      Req req = requests.poll();
      boolean eligible = req != null && req.getOrHead && response.status().code() == 200
          && !response.headers().contains(HttpHeaderNames.ETAG);
      if (eligible && msg instanceof FullHttpResponse full) {
        if (full.content().readableBytes() <= settings.maxBytes()) {
          tagFull(ctx, full, promise, req.ifNoneMatch);
          return;
        }
      } else if (eligible) {
        holding = true;
        heldBytes = 0;
        heldIfNoneMatch = req.ifNoneMatch;
        held.add(new Held(msg, promise));
        return;
      }
      ctx.write(msg, promise);
      return;
    }
    if (holding && msg instanceof HttpContent content) {
      held.add(new Held(msg, promise));
      heldBytes += content.content().readableBytes();
      if (heldBytes > settings.maxBytes()) {
        release(ctx);
      } else if (msg instanceof LastHttpContent) {
        finishHeld(ctx);
      }
      return;
    }
    ctx.write(msg, promise);
  }

  private void tagFull(ChannelHandlerContext ctx, FullHttpResponse full, ChannelPromise promise,
      @Nullable String ifNoneMatch) {
    EntityTag tag = tagOf(full.content());
    full.headers().set(HttpHeaderNames.ETAG, tag.toString());
    if (BodyEtag.notModified(ifNoneMatch, tag)) {
      ctx.write(notModified(full), promise);
      full.release();
      return;
    }
    ctx.write(full, promise);
  }

  private EntityTag tagOf(ByteBuf content) {
    byte[] bytes = ByteBufUtil.getBytes(content, content.readerIndex(), content.readableBytes(), false);
    return settings.tagOf(bytes, content.readableBytes());
  }

  private static FullHttpResponse notModified(HttpResponse original) {
    FullHttpResponse r = new DefaultFullHttpResponse(original.protocolVersion(), HttpResponseStatus.NOT_MODIFIED);
    r.headers().set(original.headers());
    r.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
    r.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
    r.headers().remove(HttpHeaderNames.CONTENT_TYPE);
    return r;
  }

  private void finishHeld(ChannelHandlerContext ctx) {
    HttpResponse response = (HttpResponse) held.get(0).msg();
    byte[] body = new byte[heldBytes];
    int pos = 0;
    for (int i = 1; i < held.size(); i++) {
      ByteBuf c = ((HttpContent) held.get(i).msg()).content();
      c.getBytes(c.readerIndex(), body, pos, c.readableBytes());
      pos += c.readableBytes();
    }
    EntityTag tag = settings.tagOf(body, pos);
    response.headers().set(HttpHeaderNames.ETAG, tag.toString());
    if (BodyEtag.notModified(heldIfNoneMatch, tag)) {
      List<Held> all = new ArrayList<>(held);
      held.clear();
      holding = false;
      ChannelPromise first = all.get(0).promise();
      ctx.write(notModified(response), first);
      for (int i = 1; i < all.size(); i++) {
        ReferenceCountUtil.release(all.get(i).msg());
        all.get(i).promise().trySuccess();
      }
      flushIfPending(ctx);
      return;
    }
    if (!response.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
      HttpUtil.setTransferEncodingChunked(response, false);
      response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, heldBytes);
    }
    release(ctx);
  }

  private void release(ChannelHandlerContext ctx) {
    holding = false;
    List<Held> all = new ArrayList<>(held);
    held.clear();
    for (Held h : all) {
      ctx.write(h.msg(), h.promise());
    }
    flushIfPending(ctx);
  }

  private void flushIfPending(ChannelHandlerContext ctx) {
    if (flushPending) {
      flushPending = false;
      ctx.flush();
    }
  }

  @Override
  public void flush(ChannelHandlerContext ctx) {
    if (holding) {
      flushPending = true;
      return;
    }
    ctx.flush();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    for (Held h : held) {
      ReferenceCountUtil.release(h.msg());
      h.promise().tryFailure(new IllegalStateException("channel closed before the response was written"));
    }
    held.clear();
  }
}
