import { defineRoute } from "../../lib/route.js";

export default defineRoute({
  roles: "public",
  openapi: {
    method: "get",
    path: "/metrics",
    tags: ["system"],
    summary: "Prometheus metrics (text format)",
    responses: { 200: { description: "Metrics", content: { "text/plain": { schema: { type: "string" } } } } },
  },
  handler: (c, s) => {
    s.metrics.set("process_resident_memory_bytes", "Resident memory", process.memoryUsage.rss());
    return c.body(s.metrics.render(), 200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
  },
});
