import { describe, expect, it } from "vitest";
import { Progress } from "./progress.js";

function terminal(isTTY = true) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, write: (t: string) => writes.push(t) } };
}

describe("Progress", () => {
  it("stays silent during the first second, then draws and clears one line", () => {
    let now = 0;
    const { writes, stream } = terminal();
    const progress = new Progress(stream, 1000, () => now);
    progress.update("evaluating", 1, 10, "resources");
    now = 999;
    progress.update("evaluating", 2, 10, "resources");
    expect(writes).toEqual([]);
    now = 1000;
    progress.update("evaluating", 3, 10, "resources");
    now = 1050;
    progress.update("evaluating", 4, 10, "resources"); // throttled
    now = 1200;
    progress.update("evaluating", 10, 10, "resources");
    progress.done();
    expect(writes).toEqual([
      "\r\u001b[Kevaluating: 3/10 resources",
      "\r\u001b[Kevaluating: 10/10 resources",
      "\r\u001b[K",
    ]);
  });

  it("never writes to something that is not a terminal, and a short run clears nothing", () => {
    let now = 0;
    const piped = terminal(false);
    const progress = new Progress(piped.stream, 1000, () => now);
    now = 5000;
    progress.update("reading", 1, 2, "files");
    progress.done();
    expect(piped.writes).toEqual([]);
    const quick = terminal();
    const fast = new Progress(quick.stream, 1000, () => 10);
    fast.update("reading", 1, 2, "files");
    fast.done();
    expect(quick.writes).toEqual([]);
  });
});
