package dev.scaleblocks.benchmarks.core;

import dev.scaleblocks.benchmarks.VirtualCallers;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The ceiling of any design in which a blocked caller hands its request to one other thread and
 * waits for the answer: the Redis paths that share a connection (Lettuce's I/O thread, the
 * coalesced Jedis flusher) with Redis taken out. Each call queues a future, wakes the one answering
 * thread if it sleeps, and blocks until that thread has completed it; the answering thread does
 * nothing but drain the queue and complete futures, so all that is measured is the queue, the
 * future, and the park and wake-up on each side.
 *
 * <p>No goal: the rows bound what the shared-connection paths can reach on the machine that runs
 * them (docs/benchmarks-unmet.md). Per call, the caller parks once and is woken once; the answering
 * thread sleeps and is woken at most once per batch it finds.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar HandOffBenchmark -f 5}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HandOffBenchmark {

  private final ConcurrentLinkedQueue<CompletableFuture<Boolean>> queue = new ConcurrentLinkedQueue<>();
  private volatile boolean sleeping;
  private volatile boolean running;
  private Thread answering;

  @Setup(Level.Trial)
  public void setUp() {
    running = true;
    answering = new Thread(this::answer, "hand-off-answering");
    answering.setDaemon(true);
    answering.start();
  }

  @TearDown(Level.Trial)
  public void tearDown() throws InterruptedException {
    running = false;
    LockSupport.unpark(answering);
    answering.join(5_000);
  }

  private void answer() {
    while (running) {
      CompletableFuture<Boolean> f = queue.poll();
      if (f != null) {
        f.complete(Boolean.TRUE);
        continue;
      }
      sleeping = true;
      if (queue.isEmpty() && running) {
        LockSupport.park(this);
      }
      sleeping = false;
    }
  }

  private boolean call() {
    CompletableFuture<Boolean> f = new CompletableFuture<>();
    queue.offer(f);
    if (sleeping) {
      LockSupport.unpark(answering);
    }
    return f.join();
  }

  @Benchmark
  @Threads(1)
  public boolean handOff1() {
    return call();
  }

  @Benchmark
  @Threads(8)
  public boolean handOff8() {
    return call();
  }

  @Benchmark
  @Threads(16)
  public boolean handOff16() {
    return call();
  }

  @Benchmark
  @Threads(64)
  public boolean handOff64() {
    return call();
  }

  /**
   * 64 virtual threads, started by each invocation on one JMH thread, make 100 calls each: a
   * blocked virtual thread parks on its carrier, not in the kernel. Java 21+ ({@code
   * scripts/bench.sh} leaves the row out on an older JVM).
   */
  @Benchmark
  @Threads(1)
  @OperationsPerInvocation(6_400)
  public int handOffVirtual64() throws InterruptedException {
    return VirtualCallers.run(64, 100, this::call);
  }
}
