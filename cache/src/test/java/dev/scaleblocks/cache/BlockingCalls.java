package dev.scaleblocks.cache;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import reactor.blockhound.BlockHound;

/**
 * BlockHound for every {@code *BlockHoundIT} of this JVM: installed once (a second install would
 * be ignored, with its callback), it records each blocking call on a non-blocking thread — every
 * Netty event loop, Lettuce's I/O threads included — and fails it by throwing.
 */
final class BlockingCalls {

  private static final List<String> calls = new CopyOnWriteArrayList<>();
  private static boolean installed;

  private BlockingCalls() {}

  /** Installs BlockHound if no test did yet; returns the shared record of blocking calls. */
  static synchronized List<String> install() {
    if (!installed) {
      BlockHound.install(builder -> builder.blockingMethodCallback(method -> {
        calls.add(method + " on " + Thread.currentThread().getName());
        throw new Error("blocking call " + method + " on " + Thread.currentThread().getName());
      }));
      installed = true;
    }
    return calls;
  }
}
