package dev.scaleblocks.core;

import dev.scaleblocks.core.http.RequestCorrelation;
import dev.scaleblocks.core.netty.SafeHttpServerPipeline;
import dev.scaleblocks.core.testing.FakeTicker;
import dev.scaleblocks.core.testing.SetOnceOptions;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Every single-valued builder option refuses a second set, naming the option and its value. */
class BuildersSetOnceTest {

  @Test
  void requestCorrelationBuilder() {
    SetOnceOptions.of(RequestCorrelation.Builder.class, RequestCorrelation::builder)
        .option("requestIdHeader", b -> b.requestIdHeader("X-Id"), "requestIdHeader was already set to X-Id")
        .option("useTraceparent", b -> b.useTraceparent(false), "useTraceparent was already set to false")
        .option("acceptIncoming", b -> b.acceptIncoming(false), "acceptIncoming was already set to false")
        .option("mdcKey", b -> b.mdcKey("rid"), "mdcKey was already set to rid")
        .option("maxIdLength", b -> b.maxIdLength(64), "maxIdLength was already set to 64")
        .option("idGenerator", b -> b.idGenerator(() -> "id"), "idGenerator was already set")
        .option("routeTag", b -> b.routeTag(r -> "/x"), "routeTag was already set")
        .option("telemetry", b -> b.telemetry(Telemetry.none()), "telemetry was already set")
        .option("ticker", b -> b.ticker(new FakeTicker()), "ticker was already set")
        .verify();
  }

  @Test
  void safeHttpServerPipelineBuilder() {
    RequestCorrelation correlation = RequestCorrelation.builder().build();
    SetOnceOptions.of(SafeHttpServerPipeline.Builder.class, SafeHttpServerPipeline::builder)
        .option("maxInitialLineLength", b -> b.maxInitialLineLength(2048), "maxInitialLineLength was already set to 2048")
        .option("maxHeaderSize", b -> b.maxHeaderSize(4096), "maxHeaderSize was already set to 4096")
        .option("maxChunkSize", b -> b.maxChunkSize(4096), "maxChunkSize was already set to 4096")
        .option("idleTimeout", b -> b.idleTimeout(Duration.ofSeconds(5)), "idleTimeout was already set to PT5S")
        .option("requestTimeout", b -> b.requestTimeout(Duration.ofSeconds(3)), "requestTimeout was already set to PT3S")
        .option("correlation", b -> b.correlation(correlation), "correlation was already set")
        .option("loadShedding", b -> b.loadShedding(ChannelInboundHandlerAdapter::new), "loadShedding was already set")
        .option("rateLimit", b -> b.rateLimit(ChannelInboundHandlerAdapter::new), "rateLimit was already set")
        .option("etagBody", b -> b.etagBody(ChannelInboundHandlerAdapter::new), "etagBody was already set")
        .option("conditional", b -> b.conditional(ChannelInboundHandlerAdapter::new), "conditional was already set")
        .option("aggregate", b -> b.aggregate(65536), "aggregate was already set to 65536")
        .option("application", b -> b.application(ChannelInboundHandlerAdapter::new), "application was already set")
        .verify();
  }
}
