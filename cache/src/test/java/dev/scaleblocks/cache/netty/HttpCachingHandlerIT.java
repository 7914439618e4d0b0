package dev.scaleblocks.cache.netty;

import dev.scaleblocks.cache.http.BodyEtag;
import dev.scaleblocks.cache.http.HttpCaching;
import dev.scaleblocks.cache.http.HttpCachingContract;
import dev.scaleblocks.core.http.TestHttpServers;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

class HttpCachingHandlerIT extends HttpCachingContract {

  @Override
  protected TestHttpServers.Running start(HttpCaching caching, BodyEtag bodyEtag) {
    return TestHttpServers.netty(p -> {
      p.addLast(new EtagBodyHandler(bodyEtag));
      p.addLast(new ConditionalRequestHandler(caching));
      p.addLast(new HttpObjectAggregator(64 * 1024));
      p.addLast(new App());
    });
  }

  final class App extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      String path = req.uri();
      if (path.startsWith("/big/")) {
        int n = Integer.parseInt(path.substring(5));
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        HttpUtil.setTransferEncodingChunked(head, true);
        ctx.write(head);
        byte[] chunk = new byte[1000];
        Arrays.fill(chunk, (byte) 'x');
        for (int left = n; left > 0; left -= chunk.length) {
          ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(chunk, 0, Math.min(left, chunk.length))));
        }
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        return;
      }
      String body;
      String etag = null;
      if (path.startsWith("/items/")) {
        renders.incrementAndGet();
        body = req.method().name().equals("PUT") ? "ok" : "item-v" + version.get();
      } else {
        body = "own";
        etag = "\"mine\"";
      }
      FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
          Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
      r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
      r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
      if (etag != null) {
        r.headers().set(HttpHeaderNames.ETAG, etag);
      }
      ctx.writeAndFlush(r);
    }
  }
}
