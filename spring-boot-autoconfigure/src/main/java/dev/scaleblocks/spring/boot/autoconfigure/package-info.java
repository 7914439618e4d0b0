/**
 * Spring Boot auto-configuration for scaleblocks: the rate-limit servlet filter, a {@code
 * CacheManager} over {@code TieredCache}, a read/write {@code DataSource}, health contributors and
 * meters on Boot's {@code MeterRegistry}.
 */
@NullMarked
package dev.scaleblocks.spring.boot.autoconfigure;

import org.jspecify.annotations.NullMarked;
