package dev.scaleblocks.spring.boot.autoconfigure;

/** The two Boot applications with only Spring Data Redis' Lettuce client, for every block. */
class StarterLettuceIT extends StarterContract {
  @Override
  String client() {
    return "lettuce";
  }
}
