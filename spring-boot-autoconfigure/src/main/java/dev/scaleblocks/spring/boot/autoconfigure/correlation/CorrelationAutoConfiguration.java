package dev.scaleblocks.spring.boot.autoconfigure.correlation;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.http.RequestCorrelation;
import dev.scaleblocks.core.http.RequestIds;
import dev.scaleblocks.core.servlet.CorrelationFilter;
import dev.scaleblocks.spring.boot.autoconfigure.ScaleblocksAutoConfiguration;
import jakarta.servlet.DispatcherType;
import java.util.function.Supplier;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/**
 * The request-id filter ({@link CorrelationFilter}) in a servlet application, ordered right after
 * Boot's server observation filter ({@code HIGHEST_PRECEDENCE + 1}). With Micrometer Tracing on the
 * class path, a request that brings no valid id gets the current trace id as its id, so the
 * request id, the MDC and the trace agree instead of competing.
 */
@AutoConfiguration(after = ScaleblocksAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass({CorrelationFilter.class, jakarta.servlet.Filter.class})
@ConditionalOnProperty(prefix = "scaleblocks.correlation", name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(CorrelationProperties.class)
public class CorrelationAutoConfiguration {

  /** Order of the filter: after Boot's observation filter, before everything else. */
  public static final int FILTER_ORDER = Ordered.HIGHEST_PRECEDENCE + 2;

  @Bean
  @ConditionalOnMissingBean
  public RequestCorrelation scaleblocksRequestCorrelation(CorrelationProperties properties,
      ObjectProvider<Telemetry> telemetry, ObjectProvider<TraceIds> traceIds) {
    TraceIds ids = traceIds.getIfAvailable();
    Supplier<String> generator = ids == null ? RequestIds::generate : () -> {
      String id = ids.current();
      return id != null ? id : RequestIds.generate();
    };
    return RequestCorrelation.builder()
        .requestIdHeader(properties.getHeader())
        .mdcKey(properties.getMdcKey())
        .acceptIncoming(properties.isAcceptIncoming())
        .idGenerator(generator)
        .telemetry(telemetry.getIfAvailable(Telemetry::none))
        .build();
  }

  @Bean
  @ConditionalOnMissingBean(name = "scaleblocksCorrelationFilter")
  public FilterRegistrationBean<CorrelationFilter> scaleblocksCorrelationFilter(
      RequestCorrelation correlation) {
    FilterRegistrationBean<CorrelationFilter> r =
        new FilterRegistrationBean<>(new CorrelationFilter(correlation));
    r.setName("scaleblocksCorrelationFilter");
    r.setOrder(FILTER_ORDER);
    r.setDispatcherTypes(DispatcherType.REQUEST);
    return r;
  }

  /** Micrometer Tracing's current trace id. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "io.micrometer.tracing.Tracer")
  static class Tracing {

    @Bean
    TraceIds scaleblocksTraceIds(ObjectProvider<io.micrometer.tracing.Tracer> tracer) {
      return () -> {
        io.micrometer.tracing.Tracer t = tracer.getIfUnique();
        io.micrometer.tracing.Span span = t == null ? null : t.currentSpan();
        return span == null ? null : span.context().traceId();
      };
    }
  }

  /** The current trace id, or null outside a trace. */
  @FunctionalInterface
  interface TraceIds {
    @org.jspecify.annotations.Nullable String current();
  }
}
