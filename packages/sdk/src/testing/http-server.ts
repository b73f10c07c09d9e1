/**
 * Real HTTP servers on a free port of 127.0.0.1 that answer every request with a handler a test
 * gives (a misbehaving service, a key server): for the client's and the CLI's tests. Each
 * records the requests it saw; `closeServers()` closes every one opened (call it after each test).
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface TestHttpServer {
  url: string;
  /** `METHOD /path?query` of each request, in order. */
  seen: string[];
  close(): Promise<void>;
}

const open: TestHttpServer[] = [];

/** Starts a server that answers with `handler`. */
export async function serve(handler: Handler): Promise<TestHttpServer> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    // a client that hangs up mid-answer is what some tests do
    res.on("error", () => {});
    handler(req, res);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  const entry: TestHttpServer = {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
  open.push(entry);
  return entry;
}

/** Closes every server `serve` opened and not yet closed. */
export async function closeServers(): Promise<void> {
  for (const s of open.splice(0)) await s.close();
}
