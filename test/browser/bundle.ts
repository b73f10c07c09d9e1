/**
 * What each page of the built console loads, from Vite's manifest (apps/web/dist/.vite):
 * the initial JavaScript of the shell, each page's chunks, and which of them carry the engine.
 * No vitest import: bench/sections/console.ts uses it too.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

interface ManifestChunk {
  file: string;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
  /** Files a chunk refers to by URL: a worker's script (`new Worker(new URL(...))`) among them. */
  assets?: string[];
  isEntry?: boolean;
  isDynamicEntry?: boolean;
}

export interface Weight {
  files: string[];
  bytes: number;
  gzipBytes: number;
}

export interface BundleReport {
  /** The shell: index.html's entry and every chunk it imports statically. */
  initial: Weight;
  /**
   * Each page (src/pages/<name>.tsx), with what it adds to the shell when opened, whether that
   * includes the engine (on the page's thread), whether the source editor (CodeMirror), and the
   * scripts of the workers it starts (the playground's evaluates there).
   */
  pages: Record<string, Weight & { engine: boolean; editor: boolean; workers: string[] }>;
  /** Whether the shell includes the source editor (it should not). */
  initialEditor: boolean;
  /** The chunk of @celgate/core's entry. */
  engineFile: string;
}

/** A class name only CodeMirror's lint extension writes: the chunk holding it is the editor. */
const EDITOR_MARK = "cm-lintRange";

/** The manifest key of the engine: the web app imports @celgate/core from its sources. */
const ENGINE_KEY = "../../packages/core/src/index.ts";

export function analyseBundle(dist: string): BundleReport {
  const manifest = JSON.parse(readFileSync(join(dist, ".vite", "manifest.json"), "utf8")) as Record<
    string,
    ManifestChunk
  >;
  const chunk = (key: string) => {
    const c = manifest[key];
    if (!c) throw new Error(`the console's manifest has no ${key}`);
    return c;
  };
  /** Files loaded when `key` loads: itself and its static imports, transitively. */
  const closure = (key: string, seen = new Set<string>()): Set<string> => {
    if (seen.has(key)) return seen;
    seen.add(key);
    for (const k of chunk(key).imports ?? []) closure(k, seen);
    return seen;
  };
  const weigh = (keys: Iterable<string>): Weight => {
    const files = [...keys].flatMap((k) => [chunk(k).file, ...(chunk(k).css ?? [])]);
    const unique = [...new Set(files)].filter((f) => f.endsWith(".js"));
    let bytes = 0;
    let gzipBytes = 0;
    for (const f of unique) {
      const body = readFileSync(join(dist, f));
      bytes += body.length;
      gzipBytes += gzipSync(body, { level: 9 }).length;
    }
    return { files: unique, bytes, gzipBytes };
  };
  const hasEditor = (files: string[]) =>
    files.some((f) => readFileSync(join(dist, f), "utf8").includes(EDITOR_MARK));
  const shell = closure("index.html");
  const engineFile = chunk(ENGINE_KEY).file;
  const pages: BundleReport["pages"] = {};
  for (const key of Object.keys(manifest)) {
    const m = /^src\/pages\/([\w-]+)\.tsx$/.exec(key);
    if (!m || !chunk(key).isDynamicEntry) continue;
    const own = [...closure(key)].filter((k) => !shell.has(k));
    const weight = weigh(own);
    const workers = own.flatMap((k) => chunk(k).assets ?? []).filter((f) => /\.worker-[\w-]+\.js$/.test(f));
    pages[m[1]!] = {
      ...weight,
      engine: weight.files.includes(engineFile),
      editor: hasEditor(weight.files),
      workers,
    };
  }
  const initial = weigh(shell);
  return { initial, pages, engineFile, initialEditor: hasEditor(initial.files) };
}
