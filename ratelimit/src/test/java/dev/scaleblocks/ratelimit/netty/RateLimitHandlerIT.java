package dev.scaleblocks.ratelimit.netty;

import dev.scaleblocks.core.http.TestHttpServers;
import dev.scaleblocks.ratelimit.http.HttpRateLimit;
import dev.scaleblocks.ratelimit.http.RateLimitAdapterContract;
import dev.scaleblocks.ratelimit.http.RealLimiters;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Nested;

/**
 * The adapter contract in Netty 4.2 (one event-loop thread) with the real local limiter, whose
 * decisions complete at once, and the real Redis-backed one, whose decisions complete on a store
 * thread and resume on the event loop. The slow-store proof is {@code SlowRedisDecisionBlockHoundIT}.
 */
class RateLimitHandlerIT {

  static TestHttpServers.Running netty(HttpRateLimit rateLimit) {
    return TestHttpServers.netty(1, p -> {
      p.addLast(new RateLimitHandler(rateLimit));
      p.addLast(new OkHandler());
    });
  }

  @Nested
  class LocalStore extends RateLimitAdapterContract {
    @Override
    protected TestHttpServers.Running start(HttpRateLimit rateLimit) {
      return netty(rateLimit);
    }

    @Override
    protected RealLimiters newLimiters() {
      return RealLimiters.local();
    }
  }

  @Nested
  class RedisStore extends RateLimitAdapterContract {
    @Override
    protected TestHttpServers.Running start(HttpRateLimit rateLimit) {
      return netty(rateLimit);
    }

    @Override
    protected RealLimiters newLimiters() {
      return RealLimiters.redis();
    }
  }

  /** Answers 200 "ok" once the whole request has arrived (works with or without an aggregator). */
  static final class OkHandler extends SimpleChannelInboundHandler<HttpObject> {
    private boolean keepAlive = true;

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
      if (msg instanceof HttpRequest r) {
        keepAlive = HttpUtil.isKeepAlive(r);
      }
      if (msg instanceof LastHttpContent || (msg instanceof HttpRequest && msg instanceof HttpContent)) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
            HttpResponseStatus.OK, Unpooled.copiedBuffer("ok", StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 2);
        HttpUtil.setKeepAlive(response, keepAlive);
        ctx.writeAndFlush(response);
      }
    }
  }
}
