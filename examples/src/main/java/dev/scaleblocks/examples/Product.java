package dev.scaleblocks.examples;

/**
 * A catalog entry. {@code version} grows with every change; it is the entity tag.
 *
 * @param id product id, also the shard key
 * @param name display name
 * @param priceCents price in cents
 * @param version starts at 1, incremented by every update
 * @param shard the shard the product lives on
 */
public record Product(long id, String name, long priceCents, long version, String shard) {

  /** The JSON body the API returns. */
  public String toJson() {
    return "{\"id\":" + id + ",\"name\":\"" + name.replace("\\", "\\\\").replace("\"", "\\\"")
        + "\",\"priceCents\":" + priceCents + ",\"version\":" + version + ",\"shard\":\"" + shard
        + "\"}";
  }

  /** A compact encoding for the cache: {@code id|priceCents|version|shard|name}. */
  String encode() {
    return id + "|" + priceCents + "|" + version + "|" + shard + "|" + name;
  }

  static Product decode(String s) {
    String[] p = s.split("\\|", 5);
    return new Product(Long.parseLong(p[0]), p[4], Long.parseLong(p[1]), Long.parseLong(p[2]), p[3]);
  }
}
