import {
  closeSync,
  mkdtempSync,
  openSync,
  readSync,
  rmdirSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { type Diagnostic, displayPath } from "@celgate/core";
import { InputError } from "./errors.js";
import { displayName, expand } from "./inputs/files.js";

/** Writes command output to a file or stdout. */
export function writeOutput(text: string, file: string | undefined): void {
  if (!file) {
    process.stdout.write(text.endsWith("\n") || text === "" ? text : `${text}\n`);
    return;
  }
  try {
    writeFileSync(file, text.endsWith("\n") || text === "" ? text : `${text}\n`);
  } catch (error) {
    removePartial(file);
    throw new InputError(`--output ${file}: cannot write: ${(error as Error).message}`);
  }
}

/**
 * Throws InputError when `file`, an output that already exists, is also one of the `inputs`
 * (files or folders, as given on the command line; `-` is stdin): the report would overwrite
 * a manifest or policy it was made from. The same file is the same device and inode, so a
 * link or another spelling of the path is caught too. An input that cannot be listed is
 * passed over here, and reported where it is read.
 */
export function refuseInputAsOutput(flag: string, file: string | undefined, inputs: readonly string[]): void {
  if (!file) return;
  const out = statSync(file, { throwIfNoEntry: false });
  if (!out?.isFile()) return;
  for (const path of inputs) {
    if (path === "-") continue;
    let files: string[];
    try {
      files = expand(path);
    } catch {
      continue;
    }
    for (const input of files) {
      const stat = statSync(input, { throwIfNoEntry: false });
      if (stat && stat.dev === out.dev && stat.ino === out.ino)
        throw new InputError(
          `${flag} ${file}: is also an input (${displayName(input)}); write it to another file`,
        );
    }
  }
}

/** Removes what was written of an output file that could not be written whole (not a device). */
function removePartial(file: string): void {
  try {
    if (statSync(file, { throwIfNoEntry: false })?.isFile()) unlinkSync(file);
  } catch {}
}

/** Colour only for people: a TTY, and neither NO_COLOR nor an output file. */
export function useColor(outputFile: string | undefined): boolean {
  if (outputFile) return false;
  if (process.env.NO_COLOR) return false;
  if (process.env.FORCE_COLOR) return true;
  return Boolean(process.stdout.isTTY);
}

/** Pieces are gathered up to this many characters before each write. */
const CHUNK = 64 * 1024;

/**
 * Writes output produced in pieces to a file or stdout, in chunks of about 64 KiB, so that a
 * large report is never one string in memory. `produce` is given the function that takes the
 * pieces: text, or bytes of UTF-8 text (a Spool's), written as they are. Throws InputError when
 * the file cannot be opened or written; a file that could not be written whole is removed.
 */
export function writeOutputStreamed(
  produce: (write: (piece: string | Uint8Array) => void) => void,
  file: string | undefined,
): void {
  let fd: number | undefined;
  if (file) {
    try {
      fd = openSync(file, "w");
    } catch (error) {
      throw new InputError(`--output ${file}: cannot write: ${(error as Error).message}`);
    }
  }
  let pending: string[] = [];
  let size = 0;
  // whether the last piece ended with a newline (so far, none: nothing to end)
  let endsWithNewline = true;
  const out = (data: string | Uint8Array) => {
    if (fd === undefined) {
      process.stdout.write(data);
      return;
    }
    try {
      if (typeof data === "string") writeText(fd, data);
      else writeBytes(fd, data);
    } catch (error) {
      throw new InputError(`--output ${file}: cannot write: ${(error as Error).message}`);
    }
  };
  const flush = () => {
    if (pending.length === 0) return;
    const text = pending.join("");
    pending = [];
    size = 0;
    out(text);
  };
  let written = false;
  try {
    produce((piece) => {
      if (piece.length === 0) return;
      if (typeof piece === "string") {
        pending.push(piece);
        size += piece.length;
        endsWithNewline = piece.endsWith("\n");
        if (size >= CHUNK) flush();
        return;
      }
      flush();
      out(piece);
      endsWithNewline = piece[piece.length - 1] === 0x0a;
    });
    // like writeOutput: the output ends with a newline
    if (!endsWithNewline) pending.push("\n");
    flush();
    written = true;
  } finally {
    if (fd !== undefined) {
      closeSync(fd);
      // no partial report is left behind for a later step to take for a whole one
      if (!written) removePartial(file!);
    }
  }
}

/** Writes all of `text` as UTF-8 to `fd`. Throws what writeSync throws. */
function writeText(fd: number, text: string): void {
  const written = writeSync(fd, text);
  // a short write (rare for a file): the rest, from the bytes
  if (written < Buffer.byteLength(text)) writeBytes(fd, Buffer.from(text).subarray(written));
}

/** Writes all of `bytes` to `fd`. Throws what writeSync throws. */
function writeBytes(fd: number, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}

/** Bytes a Spool keeps in memory before it moves to a temporary file. */
const SPOOL_MEMORY = 8 * 1024 * 1024;

/**
 * Text held until it can be written: a report's results, which come before the head that
 * counts them (`ReportWriter`). It is kept as UTF-8 bytes, outside the JavaScript heap (which
 * the garbage collector need not copy about), as they will be written. The first few MiB
 * stay in memory; beyond them the bytes go to a temporary file, removed when the spool is
 * closed (at once where the system allows), so that a large report is not held in memory. When
 * no temporary file can be made, everything stays in memory. Throws InputError when the
 * temporary file cannot be written or read back.
 */
export class Spool {
  #memory: Uint8Array[] = [];
  #memorySize = 0;
  #pending: string[] = [];
  #pendingSize = 0;
  #fd: number | undefined;
  #dir: string | undefined;
  /** Bytes in the temporary file. */
  #length = 0;
  /** Set when no temporary file could be made: everything stays in memory. */
  #inMemory = false;
  readonly #limit: number;

  constructor(options: { memoryBytes?: number } = {}) {
    this.#limit = options.memoryBytes ?? SPOOL_MEMORY;
  }

  /** Whether the text has gone to a temporary file (for tests). */
  get spilled(): boolean {
    return this.#fd !== undefined;
  }

  /** Keeps `text` after what was written before. */
  write(text: string): void {
    if (text === "") return;
    this.#pending.push(text);
    this.#pendingSize += text.length;
    if (this.#pendingSize >= CHUNK) this.#flush();
  }

  /**
   * Hands everything written, in order and in pieces, to `write`, then closes the spool: the
   * UTF-8 bytes it held in memory as they are (`write`'s to keep), what it read back from its
   * file as text.
   */
  drain(write: (piece: string | Uint8Array) => void): void {
    this.#flush();
    try {
      for (const bytes of this.#memory) write(bytes);
      this.#memory = [];
      if (this.#fd === undefined) return;
      // one buffer, read into again and again: each piece is decoded into a string of its own
      // (the decoder keeps a character split between two reads for the next). A fresh buffer
      // per piece, handed on as it is, piled up outside the heap until a collection: about
      // 20 MiB more at the peak of a 10,000-workload check.
      const buffer = Buffer.allocUnsafe(CHUNK);
      const decoder = new StringDecoder("utf8");
      let position = 0;
      while (position < this.#length) {
        let n: number;
        try {
          n = readSync(this.#fd, buffer, 0, Math.min(buffer.length, this.#length - position), position);
        } catch (error) {
          throw this.#failure("read", error);
        }
        if (n === 0) throw this.#failure("read", new Error("shorter than what was written to it"));
        position += n;
        write(decoder.write(n === buffer.length ? buffer : buffer.subarray(0, n)));
      }
      write(decoder.end());
    } finally {
      this.close();
    }
  }

  /** Removes the temporary file, if any, and forgets what was written. Safe to call twice. */
  close(): void {
    this.#memory = [];
    this.#pending = [];
    this.#removeFile();
  }

  #removeFile(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    if (this.#dir !== undefined) rmSync(this.#dir, { recursive: true, force: true });
    this.#dir = undefined;
  }

  #flush(): void {
    if (this.#pending.length === 0) return;
    const bytes = Buffer.from(this.#pending.join(""), "utf8");
    this.#pending = [];
    this.#pendingSize = 0;
    if (this.#fd === undefined && !this.#inMemory && this.#memorySize + bytes.length > this.#limit)
      this.#open();
    if (this.#fd === undefined) {
      this.#memory.push(bytes);
      this.#memorySize += bytes.length;
      return;
    }
    for (const held of this.#memory) this.#append(held);
    this.#memory = [];
    this.#memorySize = 0;
    this.#append(bytes);
  }

  #open(): void {
    try {
      this.#dir = mkdtempSync(join(tmpdir(), "celgate-report-"));
      const path = join(this.#dir, "results");
      this.#fd = openSync(path, "w+", 0o600);
      // removed at once where an open file can be (it then goes when closed); else by close()
      try {
        unlinkSync(path);
        rmdirSync(this.#dir);
        this.#dir = undefined;
      } catch {}
    } catch {
      // no temporary file: the text stays in memory, as a report built whole would
      this.#removeFile();
      this.#inMemory = true;
    }
  }

  #append(bytes: Uint8Array): void {
    try {
      writeBytes(this.#fd!, bytes);
    } catch (error) {
      throw this.#failure("write", error);
    }
    this.#length += bytes.length;
  }

  #failure(verb: "read" | "write", error: unknown): InputError {
    return new InputError(
      `cannot ${verb} the report's temporary file in ${tmpdir()} (TMPDIR sets the folder): ${(error as Error)?.message ?? String(error)}`,
    );
  }
}

/**
 * A diagnostic as the CLI shows it on stderr: its file on one line, quoted when it holds a
 * newline or another control character (displayPath). Pure.
 */
export function shownDiagnostic(d: Diagnostic): Diagnostic {
  return d.file === undefined ? d : { ...d, file: displayPath(d.file) };
}

/**
 * The one-line reason of a failure as printed last on stderr: a control character left in it
 * (a newline in a file name no caller quoted, say) is written as an escape, so the reason is
 * always exactly one line. Pure.
 */
export function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (char) => {
    const escaped = JSON.stringify(char).slice(1, -1);
    return escaped.length > 1 ? escaped : `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}
