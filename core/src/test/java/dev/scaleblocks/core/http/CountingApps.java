package dev.scaleblocks.core.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The application behind the adapters in the hostile-input and conformance tests: it counts every
 * request whose body it read to the end (a write) and answers {@code 200 ok} (with {@code ETag: "v1"} unless told otherwise).
 */
public final class CountingApps {

  private CountingApps() {}

  /** The body every answer carries. */
  public static final String BODY = "ok";

  /** A servlet counting into {@code runs}. */
  public static HttpServlet servlet(AtomicInteger runs) {
    return new HttpServlet() {
      private static final long serialVersionUID = 1L;

      @Override
      protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        req.getInputStream().readAllBytes();
        runs.incrementAndGet();
        resp.setStatus(200);
        resp.setContentType("text/plain");
        byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
      }
    };
  }

  /** A Netty handler counting into {@code runs}; answers once the request's last content came. */
  public static ChannelInboundHandlerAdapter netty(AtomicInteger runs) {
    return new ChannelInboundHandlerAdapter() {
      private boolean keepAlive;

      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request) {
          keepAlive = HttpUtil.isKeepAlive(request);
        }
        boolean last = msg instanceof LastHttpContent;
        if (last) {
          runs.incrementAndGet();
        }
        ReferenceCountUtil.release(msg);
        if (last) {
          FullHttpResponse response = new DefaultFullHttpResponse(
              io.netty.handler.codec.http.HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
              Unpooled.copiedBuffer(BODY, StandardCharsets.UTF_8));
          response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
          response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
          HttpUtil.setKeepAlive(response, keepAlive);
          if (keepAlive) {
            ctx.writeAndFlush(response);
          } else {
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
          }
        }
      }
    };
  }
}
