import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Spool, writeOutputStreamed } from "./output.js";

const savedTmp = process.env.TMPDIR;
afterEach(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
});

/** A fresh folder as the temporary folder of the spools made while it is set. */
function tempFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), "celgate-spool-test-"));
  process.env.TMPDIR = dir;
  return dir;
}

// pieces of text with characters of one to four UTF-8 bytes, so that reads back from the
// file cut some of them in two
const PIECES = ["ascii ", "é", "ユーザー", "😀", "\n", "x".repeat(1000)];

function pieces(count: number): string[] {
  return Array.from({ length: count }, (_, i) => PIECES[(i * 7) % PIECES.length]!);
}

describe("Spool", () => {
  it("keeps a small text in memory and gives it back in order", () => {
    const dir = tempFolder();
    const spool = new Spool();
    const written = pieces(50);
    for (const piece of written) spool.write(piece);
    expect(spool.spilled).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
    const out: string[] = [];
    spool.drain((piece) => out.push(piece));
    expect(out.join("")).toBe(written.join(""));
  });

  it("moves a large text to a temporary file, gives it back whole, and leaves no file behind", () => {
    const dir = tempFolder();
    const spool = new Spool({ memoryBytes: 10_000 });
    const written = pieces(5_000);
    for (const piece of written) spool.write(piece);
    expect(spool.spilled).toBe(true);
    const out: string[] = [];
    spool.drain((piece) => out.push(piece));
    expect(out.join("")).toBe(written.join(""));
    // read back in pieces, never as one string
    expect(out.length).toBeGreaterThan(2);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("removes its file when closed without being drained", () => {
    const dir = tempFolder();
    const spool = new Spool({ memoryBytes: 100 });
    for (const piece of pieces(500)) spool.write(piece);
    expect(spool.spilled).toBe(true);
    spool.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("stays in memory when no temporary file can be made", () => {
    process.env.TMPDIR = join(tempFolder(), "missing", "folder");
    const spool = new Spool({ memoryBytes: 100 });
    const written = pieces(500);
    for (const piece of written) spool.write(piece);
    expect(spool.spilled).toBe(false);
    const out: string[] = [];
    spool.drain((piece) => out.push(piece));
    expect(out.join("")).toBe(written.join(""));
  });
});

describe("writeOutputStreamed", () => {
  it("writes the pieces to a file, ending with a newline", () => {
    const file = join(tempFolder(), "out.txt");
    const spool = new Spool({ memoryBytes: 100 });
    const written = pieces(3_000);
    for (const piece of written) spool.write(piece);
    writeOutputStreamed((write) => {
      write("head ");
      spool.drain(write);
      write(" tail");
    }, file);
    expect(readFileSync(file, "utf8")).toBe(`head ${written.join("")} tail\n`);
  });
});
