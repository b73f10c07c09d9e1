// A bare Hono JSON endpoint on @hono/node-server: the baseline the service benchmark compares
// POST /v1/evaluations with (same machine, same run). Not part of the service.
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const app = new Hono();
app.post("/echo", async (c) => {
  const body = (await c.req.json()) as Record<string, unknown>;
  return c.json({ ok: true, keys: Object.keys(body).length }, 201);
});
const port = Number(process.env.PORT ?? 8090);
const server = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, () =>
  process.stdout.write(`listening ${port}\n`),
);
process.once("SIGTERM", () => server.close(() => process.exit(0)));
