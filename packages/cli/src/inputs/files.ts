import { readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { basename, extname, join, relative, sep } from "node:path";
import { displayPath, type InputLimits, inputLimitsFromEnv, MAX_MANIFEST_BYTES } from "@celgate/core";
import { InputError } from "../errors.js";

const EXTENSIONS = new Set([".yaml", ".yml", ".json"]);

/**
 * Default cap on one input file (fixtures of `celgate test` included); larger files are refused
 * with a message naming the limit. The engine's manifest limit, which the service applies to the
 * test files and fixtures of its policy repository too.
 */
export const MAX_FILE_BYTES = MAX_MANIFEST_BYTES;

export interface InputFile {
  /** As shown in reports: relative to the working directory when inside it. */
  name: string;
  text: string;
}

/**
 * Expands files and folders (recursively, *.yaml, *.yml, *.json, in sorted order) and reads
 * them; `-` reads standard input. Throws InputError for a missing, unreadable, binary or
 * oversized file.
 */
export function readInputs(
  paths: readonly string[],
  options: { stdin?: () => string; maxBytes?: number } = {},
): InputFile[] {
  return listInputs(paths, options).map((input) => ({ name: input.name, text: input.read() }));
}

/**
 * The one file a flag or argument names (`-` for stdin), read: a folder is refused rather than
 * read as its files (all but one would be left out unsaid). `label` starts each message (the
 * flag and path, or the path); `wanted` says what to give instead of a folder.
 */
export function readOneInput(path: string, label: string, wanted: string): InputFile {
  if (path !== "-" && statSync(path, { throwIfNoEntry: false })?.isDirectory())
    throw new InputError(`${label}: a folder; ${wanted}`);
  const [file] = readInputs([path]);
  if (!file) throw new InputError(`${label}: nothing read`);
  return file;
}

/** An input named but not read yet. */
export interface PendingInput {
  /** As shown in reports (see InputFile). */
  name: string;
  /** Reads it; throws InputError as `readInputs` does. */
  read(): string;
}

/**
 * The inputs of `readInputs`, in the same order, each read only when asked, so that a caller
 * can parse one and let its text go before reading the next. Throws InputError for a path that
 * does not exist.
 */
export function listInputs(
  paths: readonly string[],
  options: { stdin?: () => string; maxBytes?: number } = {},
): PendingInput[] {
  const inputs: PendingInput[] = [];
  for (const path of paths) {
    if (path === "-") {
      inputs.push({
        name: "<stdin>",
        read: () => checkText("<stdin>", options.stdin ? options.stdin() : readStdin(), options.maxBytes),
      });
      continue;
    }
    for (const file of expand(path))
      inputs.push({ name: displayName(file), read: () => readText(file, options.maxBytes) });
  }
  return inputs;
}

/** Which entries a folder walk keeps. */
export interface WalkFilter {
  /** Whether to walk into the folder of this name. */
  folder(name: string): boolean;
  /** Whether to keep the file at this path, relative to the folder walked. */
  file(relPath: string): boolean;
}

/** Manifests: every *.yaml, *.yml and *.json file, skipping hidden entries and node_modules. */
export const MANIFEST_WALK: WalkFilter = {
  folder: (name) => !name.startsWith(".") && name !== "node_modules",
  file: (relPath) => !basename(relPath).startsWith(".") && EXTENSIONS.has(extname(relPath).toLowerCase()),
};

/**
 * Files under a path: the file itself (whatever its name), or the files below a folder that
 * `filter` keeps, in name order (manifests by default). Symbolic links are followed: to a file
 * anywhere (as kubectl does), to a folder only inside the folder given, each real folder walked
 * once (a link back up is no loop), so that a link to `/` or `~` in a checked-out repository
 * cannot send the walk over the whole machine. Throws InputError for a path that does not
 * exist, for a link to a folder outside it, and for a link the filter would keep that leads
 * nowhere (dangling, or a loop of links): no manifest is left out unsaid.
 */
export function expand(path: string, filter: WalkFilter = MANIFEST_WALK): string[] {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path);
  } catch {
    throw new InputError(`${displayPath(path)}: no such file or directory`);
  }
  if (stat.isFile()) return [path];
  if (!stat.isDirectory()) throw new InputError(`${displayPath(path)}: not a file or folder`);
  const out: string[] = [];
  const root = realpathSync(path);
  // folders walked, by their real path: a link back to one of them is not walked again
  const walked = new Set<string>();
  const walk = (dir: string) => {
    const real = realpathSync(dir);
    if (walked.has(real)) return;
    if (real !== root && !real.startsWith(root.endsWith(sep) ? root : `${root}${sep}`))
      throw new InputError(
        `${displayName(dir)}: symbolic link to a folder outside ${path} (${real}); name that folder on the command line to read it`,
      );
    walked.add(real);
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      const full = join(dir, entry.name);
      let isDirectory = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          const target = statSync(full);
          isDirectory = target.isDirectory();
          isFile = target.isFile();
        } catch (error) {
          // a link that leads nowhere: an error where it would have been read, else passed over
          if (filter.file(relative(path, full)))
            throw new InputError(
              `${displayName(full)}: symbolic link to nothing readable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
            );
          continue;
        }
      }
      if (isDirectory) {
        if (filter.folder(entry.name)) walk(full);
      } else if (isFile && filter.file(relative(path, full))) out.push(full);
    }
  };
  walk(path);
  return out;
}

export function readText(file: string, maxBytes = MAX_FILE_BYTES): string {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new InputError(`${displayName(file)}: no such file or directory`);
  }
  if (size > maxBytes) {
    throw new InputError(
      `${displayName(file)}: file is ${formatBytes(size)}, over the input limit of ${formatBytes(maxBytes)} (CELGATE_MAX_INPUT_BYTES); split it into smaller files`,
    );
  }
  let buffer: Buffer;
  try {
    buffer = readFileSync(file);
  } catch (error) {
    throw new InputError(`${displayName(file)}: cannot read: ${(error as Error).message}`);
  }
  return checkText(displayName(file), decode(displayName(file), buffer), maxBytes);
}

function decode(name: string, buffer: Buffer): string {
  if (buffer.includes(0)) throw new InputError(`${displayPath(name)}:1: binary file, not YAML or JSON text`);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(buffer).replace(/^\uFEFF/, "");
  } catch {
    throw new InputError(`${displayPath(name)}:1: not valid UTF-8 text`);
  }
}

function checkText(name: string, text: string, maxBytes = MAX_FILE_BYTES): string {
  if (text.length > maxBytes)
    throw new InputError(`${displayPath(name)}: input is over the limit of ${formatBytes(maxBytes)}`);
  if (text.includes("\u0000"))
    throw new InputError(`${displayPath(name)}:1: binary input, not YAML or JSON text`);
  return text;
}

function readStdin(): string {
  try {
    return decode("<stdin>", readFileSync(0));
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`<stdin>: cannot read: ${(error as Error).message}`);
  }
}

export function displayName(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith("..") ? rel.split("\\").join("/") : file;
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

/**
 * The input limits (depth, aliases, expanded size, string length, documents): the engine's
 * defaults, or the same variables the service reads (CELGATE_MAX_DEPTH...). Throws InputError
 * naming a bad variable.
 */
export function inputLimits(env: Readonly<Record<string, string | undefined>> = process.env): InputLimits {
  const result = inputLimitsFromEnv(env);
  if (!result.ok) throw new InputError(result.errors.join("; "));
  return result.limits;
}

/** How `check` parses manifest files: the byte cap and the input limits. */
export function manifestOptions(): { maxBytes: number; limits: InputLimits } {
  return { maxBytes: maxInputBytes(), limits: inputLimits() };
}

export function maxInputBytes(): number {
  const raw = process.env.CELGATE_MAX_INPUT_BYTES;
  if (!raw) return MAX_FILE_BYTES;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0)
    throw new InputError(`CELGATE_MAX_INPUT_BYTES must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}
