package dev.scaleblocks.cache.http;

import dev.scaleblocks.cache.netty.ConditionalRequestHandler;
import dev.scaleblocks.cache.netty.EtagBodyHandler;
import dev.scaleblocks.cache.servlet.ConditionalRequestFilter;
import dev.scaleblocks.cache.servlet.EtagBodyFilter;
import dev.scaleblocks.core.http.RequestMatcher;
import dev.scaleblocks.core.http.StrictCodec;
import dev.scaleblocks.core.http.TestHttpServers;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletHolder;

/**
 * A one-resource application behind the caching adapters: {@code /items/7} has a version (its
 * strong tag {@code "v<version>"} comes from a {@link ValidatorSource}); {@code GET} renders it,
 * {@code POST} bumps the version (a write, counted). {@code /body} is answered with a fixed body
 * and no tag, for the body-hash tagger. Both servers run the same filters / handlers: body-hash
 * tags outermost, then the conditional requests.
 */
public final class VersionedApp {

  public final AtomicLong version = new AtomicLong(1);
  public final AtomicInteger writes = new AtomicInteger();

  public String tag() {
    return "\"v" + version.get() + "\"";
  }

  public HttpCaching caching() {
    return HttpCaching.builder()
        .route(RequestMatcher.path("/items/**"), CachePolicy.builder()
            .validators(request -> request.path().equals("/items/7")
                ? Validators.of(EntityTag.strong("v" + version.get()), null) : null)
            .build())
        .build();
  }

  private String body(String method, String path) {
    if (path.equals("/body")) {
      return "{\"fixed\":\"body of some length\"}";
    }
    if (method.equals("POST")) {
      version.incrementAndGet();
      writes.incrementAndGet();
      return "{\"written\":true}";
    }
    return "{\"item\":7,\"version\":" + version.get() + "}";
  }

  public TestHttpServers.Running jetty() {
    HttpCaching caching = caching();
    return TestHttpServers.jetty(c -> {
      c.addFilter(new FilterHolder(new EtagBodyFilter(BodyEtag.maxBytes(4096))), "/*", EnumSet.of(DispatcherType.REQUEST));
      c.addFilter(new FilterHolder(new ConditionalRequestFilter(caching)), "/*", EnumSet.of(DispatcherType.REQUEST));
      c.addServlet(new ServletHolder(new HttpServlet() {
        private static final long serialVersionUID = 1L;

        @Override
        protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
          req.getInputStream().readAllBytes();
          byte[] b = body(req.getMethod(), req.getRequestURI()).getBytes(StandardCharsets.UTF_8);
          resp.setContentType("application/json");
          resp.setContentLength(b.length);
          resp.getOutputStream().write(b);
        }
      }), "/*");
    });
  }

  public TestHttpServers.Running netty() {
    HttpCaching caching = caching();
    return TestHttpServers.nettyPipeline(p -> {
      p.addLast(new HttpServerCodec(StrictCodec.config()));
      p.addLast(new EtagBodyHandler(BodyEtag.maxBytes(4096)));
      p.addLast(new ConditionalRequestHandler(caching));
      p.addLast(new ChannelInboundHandlerAdapter() {
        private HttpRequest request;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
          if (msg instanceof HttpRequest r) {
            request = r;
          }
          boolean last = msg instanceof LastHttpContent;
          ReferenceCountUtil.release(msg);
          if (last && request != null) {
            String path = request.uri();
            byte[] b = body(request.method().name(), path).getBytes(StandardCharsets.UTF_8);
            boolean head = request.method().equals(HttpMethod.HEAD);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(b));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
            response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, b.length);
            HttpUtil.setKeepAlive(response, HttpUtil.isKeepAlive(request));
            ctx.writeAndFlush(response);
          }
        }
      });
    });
  }
}
