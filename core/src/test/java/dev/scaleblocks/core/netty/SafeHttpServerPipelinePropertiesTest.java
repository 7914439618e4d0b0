package dev.scaleblocks.core.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Every option of {@link SafeHttpServerPipeline.Builder} with random values: either accepted (and
 * the pipeline then builds and configures a channel), or refused with an IllegalArgumentException
 * naming the option; never another exception.
 */
class SafeHttpServerPipelinePropertiesTest {

  @Provide
  Arbitrary<Duration> durations() {
    return Arbitraries.oneOf(
        Arbitraries.longs().map(Duration::ofNanos),
        Arbitraries.longs().between(-10_000, 10_000_000).map(Duration::ofMillis),
        Arbitraries.of(Duration.ZERO, Duration.ofSeconds(Long.MAX_VALUE), Duration.ofDays(36_500),
            Duration.ofDays(36_501), Duration.ofNanos(1)));
  }

  @Provide
  Arbitrary<Integer> sizes() {
    return Arbitraries.oneOf(Arbitraries.integers(),
        Arbitraries.of(0, 1, 255, 256, 1023, 1024, 1 << 20, (1 << 20) + 1, 1 << 24, Integer.MAX_VALUE));
  }

  private static void acceptedOrNamed(Runnable option, String name) {
    try {
      option.run();
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage()).contains(name);
    }
  }

  @Property(tries = 200)
  void optionsAreAcceptedOrRefusedByName(@ForAll("sizes") int line, @ForAll("sizes") int headers,
      @ForAll("sizes") int chunk, @ForAll("sizes") int aggregate,
      @ForAll("durations") Duration idle, @ForAll("durations") Duration request) {
    SafeHttpServerPipeline.Builder b = SafeHttpServerPipeline.builder();
    acceptedOrNamed(() -> b.maxInitialLineLength(line), "maxInitialLineLength");
    acceptedOrNamed(() -> b.maxHeaderSize(headers), "maxHeaderSize");
    acceptedOrNamed(() -> b.maxChunkSize(chunk), "maxChunkSize");
    acceptedOrNamed(() -> b.aggregate(aggregate), "aggregate");
    acceptedOrNamed(() -> b.idleTimeout(idle), "idleTimeout");
    acceptedOrNamed(() -> b.requestTimeout(request), "requestTimeout");
    SafeHttpServerPipeline pipeline = b.application(ChannelInboundHandlerAdapter::new).build();
    EmbeddedChannel channel = new EmbeddedChannel();
    pipeline.configure(channel.pipeline());
    assertThat(channel.pipeline().get(SafeHttpServerPipeline.APPLICATION)).isNotNull();
    channel.finishAndReleaseAll();
  }

  @Property(tries = 50)
  void nullsAreRefusedByName(@ForAll("sizes") int ignored) {
    SafeHttpServerPipeline.Builder b = SafeHttpServerPipeline.builder();
    for (Runnable r : new Runnable[] {() -> b.idleTimeout(null), () -> b.requestTimeout(null),
        () -> b.correlation(null), () -> b.rateLimit(null), () -> b.etagBody(null),
        () -> b.conditional(null), () -> b.application(null)}) {
      try {
        r.run();
      } catch (NullPointerException | IllegalArgumentException e) {
        assertThat(e.getMessage()).isNotBlank();
      }
    }
  }
}
