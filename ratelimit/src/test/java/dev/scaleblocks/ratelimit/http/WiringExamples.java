package dev.scaleblocks.ratelimit.http;

import dev.scaleblocks.core.http.RequestCorrelation;
import dev.scaleblocks.core.http.RequestMatcher;
import dev.scaleblocks.core.netty.CorrelationHandler;
import dev.scaleblocks.core.servlet.CorrelationFilter;
import dev.scaleblocks.ratelimit.RateLimiter;
import dev.scaleblocks.ratelimit.netty.RateLimitHandler;
import dev.scaleblocks.ratelimit.servlet.RateLimitFilter;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import java.util.EnumSet;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;

/** The wiring shown in docs/http.md; compiled with the tests so the guide cannot rot. */
final class WiringExamples {

  private WiringExamples() {}

  static Server jetty(RateLimiter apiLimiter, HttpServlet app) throws Exception {
    RequestCorrelation correlation = RequestCorrelation.builder().build();
    HttpRateLimit rateLimit = HttpRateLimit.builder()
        .route(RequestMatcher.path("/api/**"), apiLimiter)
        .keyResolver(ClientIpResolver.builder().trustedProxies("10.0.0.0/8").build())
        .skip(request -> request.path().equals("/health"))
        .build();

    Server server = new Server(8080);
    ServletContextHandler context = new ServletContextHandler("/");
    context.addFilter(new FilterHolder(new CorrelationFilter(correlation)), "/*",
        EnumSet.of(DispatcherType.REQUEST));
    context.addFilter(new FilterHolder(new RateLimitFilter(rateLimit)), "/*",
        EnumSet.of(DispatcherType.REQUEST));
    context.addServlet(new ServletHolder(app), "/");
    server.setHandler(context);
    server.start();
    return server;
  }

  static void netty(RateLimiter apiLimiter, java.util.function.Supplier<ChannelHandler> app)
      throws InterruptedException {
    RequestCorrelation correlation = RequestCorrelation.builder().build();
    HttpRateLimit rateLimit = HttpRateLimit.builder()
        .route(RequestMatcher.path("/api/**"), apiLimiter)
        .keyResolver(ClientIpResolver.builder().trustedProxies("10.0.0.0/8").build())
        .build();

    EventLoopGroup group = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
    new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline()
                .addLast(new HttpServerCodec())
                .addLast(new CorrelationHandler(correlation)) // one per channel
                .addLast(new RateLimitHandler(rateLimit))     // one per channel
                .addLast(app.get());
          }
        })
        .bind(8080)
        .sync();
  }
}
