package dev.scaleblocks.cache.servlet;

import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import dev.scaleblocks.cache.http.BodyEtag;
import dev.scaleblocks.cache.http.EntityTag;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Servlet filter that tags GET/HEAD 200 responses with an {@code ETag} hashed from their body and
 * answers a matching {@code If-None-Match} with 304.
 *
 * <p>Unlike filters that buffer the whole body, it buffers at most {@link BodyEtag#maxBytes()}:
 * when the body grows past the cap, or the application flushes, or the response already has an
 * {@code ETag}, what was buffered is written out and the rest streams straight through, untagged.
 * It never overwrites an {@code ETag} or {@code Content-Length} set by the application, and sets
 * {@code Content-Length} only when it buffered the whole body and none was set. Synchronous
 * responses only: a response that starts asynchronous I/O passes through.
 *
 * <p>Thread-safe; one instance serves every request. Memory per request: up to the cap.
 */
public final class EtagBodyFilter implements Filter {

  private final BodyEtag settings;

  public EtagBodyFilter(BodyEtag settings) {
    this.settings = requireNonNull(settings, "settings");
  }

  @Override
  public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    if (!(req instanceof HttpServletRequest request) || !(res instanceof HttpServletResponse response)
        || !(request.getMethod().equals("GET") || request.getMethod().equals("HEAD"))) {
      chain.doFilter(req, res);
      return;
    }
    CappedResponse capped = new CappedResponse(response, settings.maxBytes());
    chain.doFilter(request, capped);
    if (request.isAsyncStarted()) {
      request.getAsyncContext().addListener(new jakarta.servlet.AsyncListener() {
        @Override
        public void onComplete(jakarta.servlet.AsyncEvent event) throws IOException {
          capped.passThrough();
        }

        @Override
        public void onTimeout(jakarta.servlet.AsyncEvent event) throws IOException {
          capped.passThrough();
        }

        @Override
        public void onError(jakarta.servlet.AsyncEvent event) {}

        @Override
        public void onStartAsync(jakarta.servlet.AsyncEvent event) {}
      });
      return;
    }
    java.util.List<String> lines = java.util.Collections.list(request.getHeaders("If-None-Match"));
    capped.finish(lines.isEmpty() ? null : String.join(", ", lines), settings);
  }

  /** Buffers up to the cap, then passes through. Used on the request thread only. */
  static final class CappedResponse extends HttpServletResponseWrapper {
    private final HttpServletResponse target;
    private final int cap;
    private byte[] buffer = new byte[256];
    private int size;
    private boolean passing;
    private long appContentLength = -1;
    private @Nullable ServletOutputStream stream;
    private @Nullable PrintWriter writer;

    CappedResponse(HttpServletResponse target, int cap) {
      super(target);
      this.target = target;
      this.cap = cap;
    }

    private boolean buffering() {
      if (passing) {
        return false;
      }
      if (target.getStatus() != 200 || target.containsHeader("ETag")) {
        try {
          passThrough();
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
        return false;
      }
      return true;
    }

    void passThrough() throws IOException {
      if (passing) {
        return;
      }
      passing = true;
      if (appContentLength >= 0) {
        target.setContentLengthLong(appContentLength);
      }
      if (size > 0) {
        target.getOutputStream().write(buffer, 0, size);
      }
      buffer = new byte[0];
      size = 0;
    }

    void write(byte[] b, int off, int len) throws IOException {
      if (buffering()) {
        if (size + len <= cap) {
          if (size + len > buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.min(cap, Math.max(size + len, buffer.length * 2)));
          }
          System.arraycopy(b, off, buffer, size, len);
          size += len;
          return;
        }
        passThrough();
      }
      target.getOutputStream().write(b, off, len);
    }

    void finish(@Nullable String ifNoneMatch, BodyEtag settings) throws IOException {
      if (writer != null) {
        writer.flush();
      }
      if (!buffering()) {
        return;
      }
      passing = true;
      EntityTag tag = settings.tagOf(buffer, size);
      target.setHeader("ETag", tag.toString());
      if (BodyEtag.notModified(ifNoneMatch, tag)) {
        target.setStatus(304);
        target.flushBuffer(); // commit without a length: no Content-Length: 0 on a 304
        return;
      }
      target.setContentLengthLong(appContentLength >= 0 ? appContentLength : size);
      if (size > 0) {
        target.getOutputStream().write(buffer, 0, size);
      }
    }

    @Override
    public void setContentLength(int len) {
      setContentLengthLong(len);
    }

    @Override
    public void setContentLengthLong(long len) {
      if (passing) {
        target.setContentLengthLong(len);
      } else {
        appContentLength = len;
      }
    }

    @Override
    public void flushBuffer() throws IOException {
      if (writer != null) {
        writer.flush();
      }
      passThrough();
      target.flushBuffer();
    }

    @Override
    public void resetBuffer() {
      if (!passing) {
        size = 0;
      }
      target.resetBuffer();
    }

    @Override
    public ServletOutputStream getOutputStream() {
      if (stream == null) {
        stream = new ServletOutputStream() {
          @Override
          public void write(int b) throws IOException {
            CappedResponse.this.write(new byte[] {(byte) b}, 0, 1);
          }

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            CappedResponse.this.write(b, off, len);
          }

          @Override
          public void flush() throws IOException {
            if (passing) {
              target.getOutputStream().flush();
            }
          }

          @Override
          public boolean isReady() {
            return true;
          }

          @Override
          public void setWriteListener(WriteListener listener) {
            try {
              passThrough();
              target.getOutputStream().setWriteListener(listener);
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          }
        };
      }
      return stream;
    }

    @Override
    public PrintWriter getWriter() {
      if (writer == null) {
        String enc = target.getCharacterEncoding();
        Charset cs = enc == null ? StandardCharsets.ISO_8859_1 : Charset.forName(enc);
        writer = new PrintWriter(new OutputStreamWriter(getOutputStream(), cs), false);
      }
      return writer;
    }
  }
}
