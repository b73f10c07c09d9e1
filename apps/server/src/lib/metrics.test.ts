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

  it("keys a series by its labels sorted by name, whatever order they are given in", () => {
    const m = new Metrics();
    m.inc("r_total", "Requests", { status: "201", method: "POST", route: "/v1/x" });
    m.inc("r_total", "Requests", { route: "/v1/x", method: "POST", status: "201" });
    m.inc("r_total", "Requests", { method: "GET", route: 'a\\b\n"c"', status: "200" });
    m.observe("d_seconds", "Durations", 0.2, { route: "/v1/x", method: "POST" });
    m.inc("plain_total", "No labels");
    const text = m.render();
    expect(text).toContain('r_total{method="POST",route="/v1/x",status="201"} 2\n');
    expect(text).toContain('r_total{method="GET",route="a\\\\b\\n\\"c\\"",status="200"} 1\n');
    expect(text).toContain('d_seconds_bucket{method="POST",route="/v1/x",le="0.25"} 1');
    expect(text).toContain('d_seconds_count{method="POST",route="/v1/x"} 1');
    expect(text).toContain("plain_total 1\n");
  });
});
