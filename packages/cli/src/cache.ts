import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { deserialize, serialize } from "node:v8";
import {
  ENGINE_VERSION,
  type ExceptionDocument,
  type Located,
  type PolicyDocument,
  type TypedFactsMemo,
} from "@celgate/core";
import type { InputFile } from "./inputs/files.js";

/**
 * A cache of parsed and validated policy documents, and of what the typed check found for each
 * of their expressions, so that a repeated `celgate check` skips parsing and validating policy
 * YAML and type-checking CEL against the Kubernetes schemas (the costly parts of loading a
 * library). Compiled CEL is not cached: it holds closures, and code read back from a file
 * would be code anyone who can write the folder could run; CEL is parsed and compiled again on
 * every run. An entry is written only for a set that compiled without a diagnostic.
 *
 * Entries are keyed by the digest of every file read (name and content, in order), the engine
 * version and the identity of the engine build; an entry is used only when the key it stores
 * and the checksum of its content both match, so a stale, corrupt or truncated file is ignored
 * (and replaced). The folder is safe to delete at any time.
 *
 * Where: `CELGATE_CACHE_DIR`, else `$XDG_CACHE_HOME/celgate`, else `~/.cache/celgate`.
 * `CELGATE_CACHE=off` turns it off.
 */

/** Documents as the cache holds them: without their source positions (functions). */
export interface CachedDocuments {
  policies: Located<PolicyDocument>[];
  exceptions: Located<ExceptionDocument>[];
  /** The typed check's findings for the policies' expressions (core's TypedFactsMemo). */
  typedFacts: TypedFactsMemo;
}

/** Bumped when the layout of an entry changes. */
const FORMAT = "celgate-policy-cache-2";
/** Entries kept; older ones are removed when a new one is written. */
const MAX_ENTRIES = 16;

/** The cache folder, or undefined when the cache is off. Never throws. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const off = env.CELGATE_CACHE?.toLowerCase();
  if (off === "off" || off === "0" || off === "false" || off === "no") return undefined;
  if (env.CELGATE_CACHE_DIR) return env.CELGATE_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, "celgate");
  try {
    return join(homedir(), ".cache", "celgate");
  } catch {
    return undefined;
  }
}

let engineIdentity: string | undefined;

/**
 * ENGINE_VERSION and the size and time of the file running this code (the bundle that is the
 * `celgate` binary, or this module unbundled) and of the engine's entry file: a rebuilt CLI or
 * engine of the same version (a development build) does not reuse what the one before stored.
 */
function engine(): string {
  if (engineIdentity !== undefined) return engineIdentity;
  const builds: string[] = [];
  for (const locate of [() => import.meta.url, () => import.meta.resolve("@celgate/core")]) {
    try {
      const file = new URL(locate());
      const stat = statSync(file);
      builds.push(`${file.pathname}\u0000${stat.size}\u0000${stat.mtimeMs}`);
    } catch {
      // not a file here: the version and the other file name the engine
    }
  }
  engineIdentity = [ENGINE_VERSION, ...builds].join("\u0000");
  return engineIdentity;
}

/** The key of the documents of `files`: a sha256 over the format, the engine and every file. */
export function cacheKey(files: readonly InputFile[]): string {
  const hash = createHash("sha256");
  hash.update(`${FORMAT}\u0000${engine()}\u0000${files.length}\u0000`);
  for (const file of files) {
    hash.update(`${file.name}\u0000${Buffer.byteLength(file.text)}\u0000`);
    hash.update(file.text);
    hash.update("\u0000");
  }
  return hash.digest("hex");
}

function entryFile(dir: string, key: string): string {
  return join(dir, `policies-${key}.bin`);
}

function checksum(payload: Uint8Array): string {
  return createHash("sha256").update(payload).digest("hex");
}

/**
 * The documents stored under `key`, or undefined when there is no entry or it cannot be
 * trusted (another key, a checksum mismatch, a truncated or unreadable file). Never throws.
 */
export function readCache(key: string, dir = cacheDir()): CachedDocuments | undefined {
  if (dir === undefined) return undefined;
  let bytes: Buffer;
  try {
    bytes = readFileSync(entryFile(dir, key));
  } catch {
    return undefined;
  }
  try {
    // layout: FORMAT \n key \n sha256(payload) \n payload
    const header = `${FORMAT}\n${key}\n`;
    if (bytes.length < header.length + 65 || bytes.toString("latin1", 0, header.length) !== header)
      return undefined;
    const sum = bytes.toString("latin1", header.length, header.length + 64);
    const payload = bytes.subarray(header.length + 65);
    if (bytes[header.length + 64] !== 0x0a || checksum(payload) !== sum) return undefined;
    const value = deserialize(payload) as CachedDocuments;
    if (!Array.isArray(value?.policies) || !Array.isArray(value?.exceptions)) return undefined;
    if (!isTypedFacts(value.typedFacts)) return undefined;
    return value;
  } catch {
    return undefined;
  }
}

/**
 * Stores documents under `key`, written to a temporary file and renamed into place, so a
 * reader never sees half an entry. Best effort: a cache that cannot be written is no error.
 */
export function writeCache(key: string, documents: CachedDocuments, dir = cacheDir()): void {
  if (dir === undefined) return;
  try {
    const strip = <T>(located: Located<T>): Located<T> => ({
      doc: located.doc,
      origin: { file: located.origin.file, document: located.origin.document },
    });
    const payload = serialize({
      policies: documents.policies.map(strip),
      exceptions: documents.exceptions.map(strip),
      typedFacts: documents.typedFacts,
    } satisfies CachedDocuments);
    mkdirSync(dir, { recursive: true });
    const file = entryFile(dir, key);
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(
      temporary,
      Buffer.concat([Buffer.from(`${FORMAT}\n${key}\n${checksum(payload)}\n`), payload]),
    );
    renameSync(temporary, file);
    prune(dir);
  } catch {
    // a read-only or full disk only costs the next run its warm start
  }
}

/** A Map of string to `{types: string[], cost: number}`, as written: anything else is not used. */
function isTypedFacts(value: unknown): value is TypedFactsMemo {
  if (!(value instanceof Map)) return false;
  for (const [key, facts] of value) {
    if (typeof key !== "string" || typeof facts !== "object" || facts === null) return false;
    const { types, cost } = facts as { types?: unknown; cost?: unknown };
    if (!Array.isArray(types) || !types.every((t) => typeof t === "string")) return false;
    if (typeof cost !== "number" || !Number.isFinite(cost)) return false;
  }
  return true;
}

/** Keeps the newest MAX_ENTRIES entries. */
function prune(dir: string): void {
  const entries = readdirSync(dir)
    .filter((name) => name.startsWith("policies-") && name.endsWith(".bin"))
    .map((name) => ({ name, time: statSync(join(dir, name)).mtimeMs }))
    .sort((a, b) => b.time - a.time);
  for (const entry of entries.slice(MAX_ENTRIES)) rmSync(join(dir, entry.name), { force: true });
}
