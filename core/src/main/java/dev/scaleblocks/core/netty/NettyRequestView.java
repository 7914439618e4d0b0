package dev.scaleblocks.core.netty;

import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import dev.scaleblocks.core.http.HttpRequestView;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * An {@link HttpRequestView} over a Netty {@link HttpRequest} and the channel it arrived on. The
 * path is the request URI up to {@code ?} or {@code #}; an absolute-form URI is reduced to its path.
 *
 * <p>A view of the live request: use it while the request is referenced. Cheap.
 */
public final class NettyRequestView implements HttpRequestView {

  private final HttpRequest request;
  private final @Nullable SocketAddress remote;

  private NettyRequestView(HttpRequest request, @Nullable SocketAddress remote) {
    this.request = request;
    this.remote = remote;
  }

  /** A view of {@code request} received on {@code channel}. */
  public static NettyRequestView of(HttpRequest request, Channel channel) {
    requireNonNull(channel, "channel");
    return new NettyRequestView(requireNonNull(request, "request"), channel.remoteAddress());
  }

  /** The request viewed. */
  public HttpRequest request() {
    return request;
  }

  @Override
  @SuppressWarnings("ReferenceEquality") // identity with the codec's constants is the fast path; equals follows
  public String method() {
    HttpMethod m = request.method();
    // the codec returns its constants for the standard methods, whose names are upper case already
    if (m == HttpMethod.GET || m == HttpMethod.POST || m == HttpMethod.PUT || m == HttpMethod.DELETE
        || m == HttpMethod.HEAD || m == HttpMethod.PATCH || m == HttpMethod.OPTIONS) {
      return m.name();
    }
    return m.name().toUpperCase(Locale.ROOT);
  }

  @Override
  public String path() {
    return pathOf(request.uri());
  }

  static String pathOf(@Nullable String uri) {
    if (uri == null || uri.isEmpty()) {
      return "/";
    }
    int start = 0;
    int scheme = uri.indexOf("://");
    if (scheme > 0 && uri.charAt(0) != '/') {
      int slash = uri.indexOf('/', scheme + 3);
      if (slash < 0) {
        return "/";
      }
      start = slash;
    }
    int end = uri.length();
    for (int i = start; i < uri.length(); i++) {
      char c = uri.charAt(i);
      if (c == '?' || c == '#') {
        end = i;
        break;
      }
    }
    String path = uri.substring(start, end);
    return path.isEmpty() ? "/" : path;
  }

  @Override
  public @Nullable String header(String name) {
    return request.headers().get(name);
  }

  @Override
  public List<String> headers(String name) {
    return request.headers().getAll(name);
  }

  @Override
  public @Nullable String remoteAddress() {
    if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
      return inet.getAddress().getHostAddress();
    }
    return null;
  }
}
