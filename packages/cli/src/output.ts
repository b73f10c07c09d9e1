import { writeFileSync } from "node:fs";
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
