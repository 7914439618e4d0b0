package dev.scaleblocks.cache.servlet;

import dev.scaleblocks.cache.http.BodyEtag;
import dev.scaleblocks.cache.http.HttpCaching;
import dev.scaleblocks.cache.http.HttpCachingContract;
import dev.scaleblocks.core.http.TestHttpServers;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.EnumSet;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletHolder;

class HttpCachingFilterIT extends HttpCachingContract {

  @Override
  protected TestHttpServers.Running start(HttpCaching caching, BodyEtag bodyEtag) {
    return TestHttpServers.jetty(ctx -> {
      ctx.addFilter(new FilterHolder(new ConditionalRequestFilter(caching)), "/*", EnumSet.of(DispatcherType.REQUEST));
      ctx.addFilter(new FilterHolder(new EtagBodyFilter(bodyEtag)), "/*", EnumSet.of(DispatcherType.REQUEST));
      ctx.addServlet(new ServletHolder(new App()), "/");
    });
  }

  final class App extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      String path = req.getRequestURI();
      resp.setContentType("text/plain");
      if (path.startsWith("/items/")) {
        renders.incrementAndGet();
        resp.getWriter().print(req.getMethod().equals("PUT") ? "ok" : "item-v" + version.get());
      } else if (path.startsWith("/big/")) {
        int n = Integer.parseInt(path.substring(5));
        byte[] chunk = new byte[1000];
        Arrays.fill(chunk, (byte) 'x');
        OutputStream out = resp.getOutputStream();
        for (int left = n; left > 0; left -= chunk.length) {
          out.write(chunk, 0, Math.min(left, chunk.length));
        }
      } else {
        resp.setHeader("ETag", "\"mine\"");
        resp.getWriter().print("own");
      }
    }
  }
}
