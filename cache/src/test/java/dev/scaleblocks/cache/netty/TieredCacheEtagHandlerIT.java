package dev.scaleblocks.cache.netty;

import dev.scaleblocks.cache.http.HttpCaching;
import dev.scaleblocks.cache.http.TieredCacheEtagContract;
import dev.scaleblocks.core.http.TestHttpServers;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/** The L1-only {@code TieredCache} ETag contract in Netty 4.2: the validator lookup is an L1 read on the event loop. */
class TieredCacheEtagHandlerIT extends TieredCacheEtagContract {

  @Override
  protected TestHttpServers.Running start(HttpCaching caching, App app) {
    return TestHttpServers.netty(p -> {
      p.addLast(new ConditionalRequestHandler(caching));
      p.addLast(new HttpObjectAggregator(64 * 1024));
      p.addLast(new AppHandler(app));
    });
  }

  static final class AppHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final App app;

    AppHandler(App app) {
      this.app = app;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      Answer answer = app.handle(req.method().name(), req.uri(), req.content().toString(StandardCharsets.UTF_8));
      byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
      boolean head = req.method().equals(HttpMethod.HEAD);
      FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(answer.status()),
          head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes));
      r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
      r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
      if (answer.etag() != null) {
        r.headers().set(HttpHeaderNames.ETAG, answer.etag());
      }
      HttpUtil.setKeepAlive(r, HttpUtil.isKeepAlive(req));
      ctx.writeAndFlush(r);
    }
  }
}
