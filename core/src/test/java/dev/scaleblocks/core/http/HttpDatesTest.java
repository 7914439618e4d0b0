package dev.scaleblocks.core.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HttpDatesTest {

  private static final Instant T = Instant.parse("1994-11-06T08:49:37Z");

  @Test
  void formatsImfFixdate() {
    assertThat(HttpDates.format(T)).isEqualTo("Sun, 06 Nov 1994 08:49:37 GMT");
    assertThat(HttpDates.format(T.plusMillis(999))).isEqualTo("Sun, 06 Nov 1994 08:49:37 GMT");
  }

  @Test
  void formatsAsTheImfPatternDoesOverFourCenturiesAndBeyond() {
    DateTimeFormatter imf = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US)
        .withZone(ZoneOffset.UTC);
    SplittableRandom random = new SplittableRandom(7);
    long from = Instant.parse("1800-01-01T00:00:00Z").getEpochSecond();
    long to = Instant.parse("2200-01-01T00:00:00Z").getEpochSecond();
    for (int i = 0; i < 100_000; i++) {
      Instant t = Instant.ofEpochSecond(random.nextLong(from, to), random.nextInt(1_000_000_000));
      assertThat(HttpDates.format(t)).isEqualTo(imf.format(t));
    }
    for (String edge : List.of("1000-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z", "0999-12-31T23:59:59Z",
        "+10000-01-01T00:00:00Z", "2000-02-29T12:00:00Z", "1970-01-01T00:00:00Z")) {
      Instant t = Instant.parse(edge);
      assertThat(HttpDates.format(t)).isEqualTo(imf.format(t));
    }
  }

  @Test
  void parsesAllThreeForms() {
    assertThat(HttpDates.parse("Sun, 06 Nov 1994 08:49:37 GMT")).isEqualTo(T);
    assertThat(HttpDates.parse("Sunday, 06-Nov-94 08:49:37 GMT")).isEqualTo(T);
    assertThat(HttpDates.parse("Sun Nov  6 08:49:37 1994")).isEqualTo(T);
  }

  @Test
  void invalidDatesAreNull() {
    assertThat(HttpDates.parse(null)).isNull();
    assertThat(HttpDates.parse("yesterday")).isNull();
    assertThat(HttpDates.parse("Mon, 06 Nov 1994 08:49:37 GMT")).isNull(); // wrong weekday
    assertThat(HttpDates.parse("Sun, 06 Nov 1994 25:49:37 GMT")).isNull();
    assertThat(HttpDates.parse("x".repeat(10_000))).isNull();
  }
}
