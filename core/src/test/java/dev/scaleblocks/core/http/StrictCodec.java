package dev.scaleblocks.core.http;

import dev.scaleblocks.core.netty.SafeHttpServerPipeline;
import io.netty.handler.codec.http.HttpDecoderConfig;

/** The strict codec settings the handler-level hostile tests put in front of one handler. */
public final class StrictCodec {

  private StrictCodec() {}

  public static HttpDecoderConfig config() {
    return SafeHttpServerPipeline.decoderConfig();
  }
}
