package dev.scaleblocks.spring.boot.autoconfigure;

import dev.scaleblocks.core.http.RequestMatcher;
import java.util.ArrayList;
import java.util.List;

/** Which requests a configured route takes: a path pattern and, optionally, methods. */
public class RouteProperties {

  /** Path pattern: literal segments, * for one segment, a trailing ** for any number. */
  private String path = "/**";

  /** HTTP methods matched (any when empty). */
  private List<String> methods = new ArrayList<>();

  public String getPath() {
    return path;
  }

  public void setPath(String path) {
    this.path = path;
  }

  public List<String> getMethods() {
    return methods;
  }

  public void setMethods(List<String> methods) {
    this.methods = methods;
  }

  /** The matcher for this route. */
  public RequestMatcher matcher() {
    RequestMatcher m = RequestMatcher.path(path);
    return methods.isEmpty() ? m : m.methods(methods.toArray(String[]::new));
  }
}
