import { describe, expect, it } from "vitest";
import { Metrics } from "./metrics.js";

describe("Metrics", () => {
  it("renders counters, gauges and histograms in Prometheus text format", () => {
    const m = new Metrics();
    m.inc("c_total", "A counter", { route: '/a"b' });
    m.inc("c_total", "A counter", { route: '/a"b' }, 2);
    m.set("g", "A gauge", 7);
    m.observe("h_seconds", "A histogram", 0.02, { route: "/x" });
    const text = m.render();
    expect(text).toContain('# TYPE c_total counter\nc_total{route="/a\\"b"} 3');
    expect(text).toContain("g 7");
    expect(text).toContain('h_seconds_bucket{route="/x",le="0.01"} 0');
    expect(text).toContain('h_seconds_bucket{route="/x",le="0.025"} 1');
    expect(text).toContain('h_seconds_count{route="/x"} 1');
  });
});
