package dev.scaleblocks.spring.boot.autoconfigure.correlation;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** {@code scaleblocks.correlation.*}: the request-id servlet filter. Mutable bean; not thread-safe. */
@ConfigurationProperties("scaleblocks.correlation")
public class CorrelationProperties {

  /** Whether the request-id filter is registered in a servlet application. */
  private boolean enabled = true;

  /** The header read and echoed. */
  private String header = "X-Request-Id";

  /** The SLF4J MDC key the id is put under. */
  private String mdcKey = "requestId";

  /** Whether a valid incoming id (header or traceparent) is kept; off behind an untrusted edge. */
  private boolean acceptIncoming = true;

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public String getHeader() {
    return header;
  }

  public void setHeader(String header) {
    this.header = header;
  }

  public String getMdcKey() {
    return mdcKey;
  }

  public void setMdcKey(String mdcKey) {
    this.mdcKey = mdcKey;
  }

  public boolean isAcceptIncoming() {
    return acceptIncoming;
  }

  public void setAcceptIncoming(boolean acceptIncoming) {
    this.acceptIncoming = acceptIncoming;
  }
}
