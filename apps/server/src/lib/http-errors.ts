import { randomUUID } from "node:crypto";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { type ProblemError, problems } from "./errors.js";

/** What Node's HTTP parser refused, as the problem the service answers. */
function problemOf(error: NodeJS.ErrnoException): ProblemError {
  switch (error.code) {
    case "HPE_HEADER_OVERFLOW":
      return problems.headersTooLarge("the request's headers are over the size the service reads");
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return problems.requestTimeout(
        "the request was not sent in time (CELGATE_HEADERS_TIMEOUT_MS, CELGATE_REQUEST_TIMEOUT_MS)",
      );
    default:
      return problems.badRequest("the request is not well-formed HTTP/1.1");
  }
}

/**
 * Answers what Node's HTTP parser refuses before the app sees a request (malformed framing,
 * headers over its limit, a request not sent in time) as every other error is answered: RFC 9457
 * problem details with an `X-Request-Id`, instead of Node's bare status line; then closes the
 * connection, as Node does. A connection reset by the client is only closed.
 *
 * And with `Expect: 100-continue`, a body declared over `bodyLimit` gets no `100 Continue`: the
 * app answers 413 from the Content-Length alone, so the client never sends it.
 */
export function answerHttpErrors(server: Server, bodyLimit: number): void {
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    const problem = problemOf(error);
    const requestId = randomUUID();
    const body = JSON.stringify(problem.toProblem(requestId));
    socket.end(
      `HTTP/1.1 ${problem.status} ${problem.title}\r\n` +
        "Content-Type: application/problem+json\r\n" +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\n` +
        "Connection: close\r\n\r\n" +
        body,
    );
  });
  server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => {
    const declared = Number(req.headers["content-length"]);
    if (!(Number.isFinite(declared) && declared > bodyLimit)) res.writeContinue();
    server.emit("request", req, res);
  });
}
