// A lean HTTP/1.1 client for the service bench's closed-loop load (bench/service.js): plain
// JavaScript, as service.js is, so that it runs without a build or a loader.
import { connect } from "node:net";

/**
 * One keep-alive HTTP/1.1 connection for the closed-loop load: it writes a request built once
 * and reads each answer just far enough to know its status and where it ends (Content-Length,
 * or chunks). The load generator shares the machine's cores with the server and the database,
 * and Node's http client spent about 0.2 ms of CPU per request here (perf, 2026-12-07), a
 * tenth of what the server spends: this leaves that CPU to what is measured. One request at a
 * time per connection; a connection that fails or closes rejects its request, and the next
 * send opens a new one.
 */
export class LeanConnection {
  #port;
  #socket = null;
  #buffered = null;
  #waiting = null;
  // the answer being read: its status, then body bytes left (-1: chunked, read by #chunks)
  #status = 0;
  #remaining = null;

  constructor(port) {
    this.#port = port;
  }

  /** Sends `bytes` (a whole request) and resolves with the answer's status code. */
  send(bytes) {
    if (this.#waiting) return Promise.reject(new Error("one request at a time"));
    if (!this.#socket || this.#socket.destroyed) this.#open();
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
      this.#socket.write(bytes);
    });
  }

  close() {
    this.#socket?.destroy();
  }

  #open() {
    const socket = connect({ host: "127.0.0.1", port: this.#port, noDelay: true });
    this.#socket = socket;
    this.#buffered = null;
    this.#remaining = null;
    const fail = (error) => {
      if (this.#socket === socket) this.#socket = null;
      const waiting = this.#waiting;
      this.#waiting = null;
      waiting?.reject(error);
    };
    socket.on("error", fail);
    socket.on("close", () => fail(new Error("the server closed the connection")));
    socket.on("data", (chunk) => {
      this.#buffered = this.#buffered ? Buffer.concat([this.#buffered, chunk]) : chunk;
      try {
        this.#read();
      } catch (error) {
        socket.destroy();
        fail(error);
      }
    });
  }

  #read() {
    while (this.#waiting && this.#buffered) {
      if (this.#remaining === null) {
        const end = this.#buffered.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = this.#buffered.toString("latin1", 0, end);
        const status = /^HTTP\/1\.[01] (\d{3})/.exec(head);
        if (!status) throw new Error(`not an HTTP answer: ${JSON.stringify(head.slice(0, 40))}`);
        this.#status = Number(status[1]);
        const length = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head);
        const chunked = /\r\ntransfer-encoding:[ \t]*chunked/i.test(head);
        this.#remaining = length ? Number(length[1]) : chunked ? -1 : 0;
        this.#buffered = this.#buffered.subarray(end + 4);
      }
      if (this.#remaining === -1) {
        if (!this.#chunks()) return;
      } else if (this.#buffered.length < this.#remaining) {
        this.#remaining -= this.#buffered.length;
        this.#buffered = null;
        return;
      } else {
        this.#buffered = this.#buffered.subarray(this.#remaining);
      }
      this.#remaining = null;
      if (this.#buffered.length === 0) this.#buffered = null;
      const waiting = this.#waiting;
      this.#waiting = null;
      waiting.resolve(this.#status);
    }
  }

  /** Consumes whole chunks; true once the last one (and the blank line after it) has been read. */
  #chunks() {
    for (;;) {
      const line = this.#buffered.indexOf("\r\n");
      if (line < 0) return false;
      const size = Number.parseInt(this.#buffered.toString("latin1", 0, line), 16);
      if (!Number.isFinite(size)) throw new Error("a malformed chunk size");
      if (size === 0) {
        // no trailers are sent here: the last chunk is "0\r\n\r\n"
        if (this.#buffered.length < line + 4) return false;
        this.#buffered = this.#buffered.subarray(line + 4);
        return true;
      }
      if (this.#buffered.length < line + 2 + size + 2) return false;
      this.#buffered = this.#buffered.subarray(line + 2 + size + 2);
    }
  }
}

/** The bytes of a POST with a JSON body, built once for every request of a load. */
export function requestBytes(port, path, body, headers) {
  const lines = [`POST ${path} HTTP/1.1`, `host: 127.0.0.1:${port}`, "connection: keep-alive"];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  lines.push("content-type: application/json", `content-length: ${Buffer.byteLength(body)}`);
  return Buffer.from(`${lines.join("\r\n")}\r\n\r\n${body}`);
}
