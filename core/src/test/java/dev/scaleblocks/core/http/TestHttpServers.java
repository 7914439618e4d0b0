package dev.scaleblocks.core.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * Real Jetty 12 (ee10) and Netty 4.2 servers on 127.0.0.1, port 0, and a JDK {@link HttpClient}
 * for the adapter integration tests of every module.
 */
public final class TestHttpServers {

  private TestHttpServers() {}

  /** A running server; {@link #close()} stops it. */
  public interface Running extends AutoCloseable {
    int port();

    default URI uri(String pathAndQuery) {
      return URI.create("http://127.0.0.1:" + port() + pathAndQuery);
    }

    @Override
    void close();
  }

  /** Starts Jetty with a servlet context at {@code /} set up by {@code setup}. */
  public static Running jetty(Consumer<ServletContextHandler> setup) {
    return jetty(Duration.ofSeconds(30), setup);
  }

  /** As {@link #jetty(Consumer)} with the connector's idle timeout set to {@code idleTimeout}. */
  public static Running jetty(Duration idleTimeout, Consumer<ServletContextHandler> setup) {
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setIdleTimeout(idleTimeout.toMillis());
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler("/");
    setup.accept(context);
    server.setHandler(context);
    try {
      server.start();
    } catch (Exception e) {
      throw new IllegalStateException("jetty did not start", e);
    }
    int port = connector.getLocalPort();
    return new Running() {
      @Override
      public int port() {
        return port;
      }

      @Override
      public void close() {
        try {
          server.stop();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
    };
  }

  /** Starts Netty with {@code HttpServerCodec} followed by what {@code setup} adds to each channel. */
  public static Running netty(Consumer<ChannelPipeline> setup) {
    return netty(2, setup);
  }

  /** As {@link #netty(Consumer)} with {@code workerThreads} event-loop threads. */
  public static Running netty(int workerThreads, Consumer<ChannelPipeline> setup) {
    return nettyPipeline(workerThreads, p -> {
      p.addLast(new HttpServerCodec());
      setup.accept(p);
    });
  }

  /** Starts Netty with exactly the handlers {@code setup} adds to each channel (codec included). */
  public static Running nettyPipeline(Consumer<ChannelPipeline> setup) {
    return nettyPipeline(2, setup);
  }

  private static Running nettyPipeline(int workerThreads, Consumer<ChannelPipeline> setup) {
    EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    EventLoopGroup workers = new MultiThreadIoEventLoopGroup(workerThreads, NioIoHandler.newFactory());
    Channel channel;
    try {
      channel =
          new ServerBootstrap()
              .group(boss, workers)
              .channel(NioServerSocketChannel.class)
              .childHandler(
                  new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                      setup.accept(ch.pipeline());
                    }
                  })
              .bind("127.0.0.1", 0)
              .sync()
              .channel();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    int port = ((InetSocketAddress) channel.localAddress()).getPort();
    return new Running() {
      @Override
      public int port() {
        return port;
      }

      @Override
      public void close() {
        channel.close().syncUninterruptibly();
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
      }
    };
  }

  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1).build();

  /** The shared HTTP/1.1 client. */
  public static HttpClient client() {
    return CLIENT;
  }

  /** Sends {@code request} and reads the body as a string. */
  public static HttpResponse<String> send(HttpRequest request) {
    try {
      return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** A GET builder for {@code uri} with a 10 s timeout. */
  public static HttpRequest.Builder get(URI uri) {
    return HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET();
  }
}
