/**
 * The demo service: a small product catalog served twice, by Jetty (servlet) and by Netty, with
 * every scaleblocks block wired in. Run it with {@code scripts/demo.sh} or {@code java -jar
 * examples/target/demo.jar --help}.
 */
@NullMarked
package dev.scaleblocks.examples;

import org.jspecify.annotations.NullMarked;
