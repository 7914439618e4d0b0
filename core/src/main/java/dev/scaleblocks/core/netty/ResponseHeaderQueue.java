package dev.scaleblocks.core.netty;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;

/**
 * Headers a handler decided on while reading a request, to be added to that request's final
 * response when it is written: one entry per request, in order, so pipelined requests get their
 * own. A header the application already set is never overwritten; 1xx responses are skipped.
 *
 * <p>Not thread-safe: one per channel, used on its event loop (Netty calls a channel's handler
 * methods from one thread).
 */
public final class ResponseHeaderQueue {

  private final ArrayDeque<List<Map.Entry<String, String>>> pending = new ArrayDeque<>(2);

  /** An empty queue, for one channel. */
  public ResponseHeaderQueue() {}

  /** Queues {@code headers} (possibly empty) for the next final response. */
  public void add(List<Map.Entry<String, String>> headers) {
    pending.add(headers);
  }

  /** If {@code msg} is a final response, adds the oldest queued headers that it does not set. */
  public void applyTo(Object msg) {
    if (msg instanceof HttpResponse response
        && response.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
      List<Map.Entry<String, String>> headers = pending.poll();
      if (headers != null) {
        HttpHeaders target = response.headers();
        for (Map.Entry<String, String> h : headers) {
          if (!target.contains(h.getKey())) {
            target.add(h.getKey(), h.getValue()); // absent: no set's removal pass
          }
        }
      }
    }
  }
}
