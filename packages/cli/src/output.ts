import { closeSync, openSync, writeFileSync, writeSync } from "node:fs";
import { InputError } from "./errors.js";

/** Writes command output to a file or stdout. */
export function writeOutput(text: string, file: string | undefined): void {
  if (!file) {
    process.stdout.write(text.endsWith("\n") || text === "" ? text : `${text}\n`);
    return;
  }
  try {
    writeFileSync(file, text.endsWith("\n") || text === "" ? text : `${text}\n`);
  } catch (error) {
    throw new InputError(`--output ${file}: cannot write: ${(error as Error).message}`);
  }
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
 * pieces. Throws InputError when the file cannot be opened or written.
 */
export function writeOutputStreamed(
  produce: (write: (piece: string) => void) => void,
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
  let last = "";
  const flush = () => {
    if (pending.length === 0) return;
    const text = pending.join("");
    pending = [];
    size = 0;
    if (fd === undefined) {
      process.stdout.write(text);
      return;
    }
    try {
      writeSync(fd, text);
    } catch (error) {
      throw new InputError(`--output ${file}: cannot write: ${(error as Error).message}`);
    }
  };
  try {
    produce((piece) => {
      if (piece === "") return;
      pending.push(piece);
      size += piece.length;
      last = piece;
      if (size >= CHUNK) flush();
    });
    // like writeOutput: the output ends with a newline
    if (last !== "" && !last.endsWith("\n")) pending.push("\n");
    flush();
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
