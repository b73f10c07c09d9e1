import { spawnSync } from "node:child_process";
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
// file cut some of them in two (the bytes, joined, are the text all the same)
const PIECES = ["ascii ", "é", "ユーザー", "😀", "\n", "x".repeat(1000)];

/** Pieces of text and of UTF-8 bytes, joined into text. */
function text(out: readonly (string | Uint8Array)[]): string {
  return Buffer.concat(out.map((piece) => (typeof piece === "string" ? Buffer.from(piece) : piece))).toString(
    "utf8",
  );
}

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
    const out: (string | Uint8Array)[] = [];
    spool.drain((piece) => out.push(piece));
    expect(text(out)).toBe(written.join(""));
  });

  it("moves a large text to a temporary file, gives it back whole, and leaves no file behind", () => {
    const dir = tempFolder();
    const spool = new Spool({ memoryBytes: 10_000 });
    const written = pieces(5_000);
    for (const piece of written) spool.write(piece);
    expect(spool.spilled).toBe(true);
    const out: (string | Uint8Array)[] = [];
    spool.drain((piece) => out.push(piece));
    expect(text(out)).toBe(written.join(""));
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

  // A full disk, as the kernel reports a file grown past the process's size limit (EFBIG): the
  // spool says so, naming the folder, as an InputError (exit 2), and leaves no file behind.
  const prlimit = spawnSync("prlimit", ["--version"]).status === 0;
  it.skipIf(!prlimit)("refuses with an InputError when its temporary file cannot be written", () => {
    const dir = tempFolder();
    const script = `
      import { Spool } from ${JSON.stringify(new URL("./output.ts", import.meta.url).href)};
      const spool = new Spool({ memoryBytes: 100 });
      try {
        for (let i = 0; i < 200; i++) spool.write("x".repeat(10_000));
        spool.drain(() => {});
        console.log("no error");
      } catch (error) {
        spool.close();
        console.log(error.constructor.name + ": " + error.message);
      }`;
    const run = spawnSync(
      "prlimit",
      [
        "--fsize=65536",
        process.execPath,
        "--conditions=source",
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        script,
      ],
      { encoding: "utf8", env: { ...process.env, TMPDIR: dir } },
    );
    expect(run.stderr).toBe("");
    expect(run.stdout).toMatch(/^InputError: cannot write the report's temporary file in /);
    expect(run.stdout).toContain(dir);
    expect(run.stdout).toContain("TMPDIR");
    // (tsx keeps its own cache in the same folder)
    expect(readdirSync(dir).filter((name) => name.startsWith("celgate-"))).toEqual([]);
  });

  it("stays in memory when no temporary file can be made", () => {
    process.env.TMPDIR = join(tempFolder(), "missing", "folder");
    const spool = new Spool({ memoryBytes: 100 });
    const written = pieces(500);
    for (const piece of written) spool.write(piece);
    expect(spool.spilled).toBe(false);
    const out: (string | Uint8Array)[] = [];
    spool.drain((piece) => out.push(piece));
    expect(text(out)).toBe(written.join(""));
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

describe("writeOutputStreamed, text and bytes", () => {
  const written = (produce: (write: (piece: string | Uint8Array) => void) => void): string => {
    const file = join(tempFolder(), "out.txt");
    writeOutputStreamed(produce, file);
    return readFileSync(file, "utf8");
  };

  it("writes bytes and text in the order given, and ends with one newline", () => {
    const bytes = (text: string) => Buffer.from(text, "utf8");
    expect(written((write) => [write("a"), write(bytes("ユー")), write("b")])).toBe("aユーb\n");
    expect(written((write) => [write("a"), write(bytes("b\n"))])).toBe("ab\n");
    expect(written((write) => [write(bytes("a\n")), write(""), write(new Uint8Array(0))])).toBe("a\n");
    expect(written((write) => [write(bytes("a\n")), write("b")])).toBe("a\nb\n");
    expect(written(() => {})).toBe("");
  });
});
