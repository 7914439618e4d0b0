package dev.scaleblocks.spring.boot.autoconfigure;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import reactor.blockhound.BlockHound;

/**
 * BlockHound for every {@code *BlockHoundIT} of this JVM: installed once (a second install would
 * be ignored, with its callback), it records each blocking call on a non-blocking thread (Reactor
 * Netty's event loops, and through Netty's own integration every Netty event loop, Lettuce's I/O
 * threads included) with the frames that led to it. It only records: the call goes on, so an
 * application that blocks still starts and answers, and the test says where.
 */
final class BlockingCalls {

  private static final List<String> calls = new CopyOnWriteArrayList<>();
  private static boolean installed;

  private BlockingCalls() {}

  /** Installs BlockHound if no test did yet; returns the shared record of blocking calls. */
  static synchronized List<String> install() {
    if (!installed) {
      BlockHound.install(builder -> builder.blockingMethodCallback(method -> calls.add(
          method + " on " + Thread.currentThread().getName() + "\n\tat "
              + Arrays.stream(new Throwable().getStackTrace()).limit(40)
                  .map(String::valueOf).collect(Collectors.joining("\n\tat ")))));
      installed = true;
    }
    return calls;
  }
}
