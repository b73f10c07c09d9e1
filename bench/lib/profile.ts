/**
 * A CPU profile of a piece of work, taken in-process through the inspector (the same sampling
 * profiler as `node --cpu-prof`), summarised as the functions with the most self time and the
 * share of each area of code. The raw profile can be opened in Chrome DevTools.
 */
import { Session } from "node:inspector/promises";
import { findSourceMap } from "node:module";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface HotFunction {
  name: string;
  location: string;
  selfMs: number;
  selfPercent: number;
}

export interface AreaShare {
  area: string;
  selfMs: number;
  selfPercent: number;
}

export interface ProfileSummary {
  runs: number;
  totalMs: number;
  top: HotFunction[];
  areas: AreaShare[];
  profile: CpuProfile;
}

/** Profiles `fn`, run repeatedly for about `durationMs` (at least once). */
export async function profile(
  fn: () => unknown,
  durationMs: number,
  repoRoot: string,
  topN = 10,
): Promise<ProfileSummary> {
  const session = new Session();
  session.connect();
  try {
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 100 });
    await session.post("Profiler.start");
    const start = performance.now();
    let runs = 0;
    do {
      fn();
      runs++;
    } while (performance.now() - start < durationMs);
    const { profile: raw } = (await session.post("Profiler.stop")) as unknown as { profile: CpuProfile };
    await session.post("Profiler.disable");
    return { runs, ...summariseProfile(raw, repoRoot, topN), profile: raw };
  } finally {
    session.disconnect();
  }
}

/** Self time per function and per area of code. */
export function summariseProfile(
  raw: CpuProfile,
  repoRoot: string,
  topN: number,
): Omit<ProfileSummary, "runs" | "profile"> {
  const byId = new Map(raw.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = raw.samples ?? [];
  const deltas = raw.timeDeltas ?? [];
  // timeDeltas[i] is the time before sample i, so the time spent in sample i is the next delta
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[i + 1] ?? 0));
  }
  const functions = new Map<string, { name: string; location: string; us: number }>();
  const areas = new Map<string, number>();
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const frame = node.callFrame;
    if (frame.functionName === "(idle)") continue;
    totalUs += us;
    const location = frame.url ? locate(frame, repoRoot) : "";
    const name = frame.functionName || "(anonymous)";
    const key = `${name}\u0000${location}`;
    const entry = functions.get(key) ?? { name, location, us: 0 };
    entry.us += us;
    functions.set(key, entry);
    const area = areaOf(frame.functionName, frame.url);
    areas.set(area, (areas.get(area) ?? 0) + us);
  }
  const pct = (us: number) => (totalUs > 0 ? (100 * us) / totalUs : 0);
  return {
    totalMs: totalUs / 1000,
    top: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, topN)
      .map((f) => ({ name: f.name, location: f.location, selfMs: f.us / 1000, selfPercent: pct(f.us) })),
    areas: [...areas.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([area, us]) => ({ area, selfMs: us / 1000, selfPercent: pct(us) })),
  };
}

/**
 * `file:line` of a frame's function. Sources run through tsx are transformed, so their
 * positions are mapped back through the source map when there is one.
 */
function locate(frame: ProfileNode["callFrame"], repoRoot: string): string {
  let url = frame.url;
  let line = frame.lineNumber + 1;
  if (url.startsWith("file://") && /\.[cm]?tsx?$/.test(url)) {
    try {
      const entry = findSourceMap(url)?.findEntry(frame.lineNumber, frame.columnNumber) as
        | { originalSource?: string; originalLine?: number }
        | undefined;
      if (entry?.originalSource !== undefined && entry.originalLine !== undefined) {
        url = entry.originalSource;
        line = entry.originalLine + 1;
      }
    } catch {
      // keep the generated position
    }
  }
  return `${shortUrl(url, repoRoot)}:${line}`;
}

/** `packages/core/src/cel/values.ts`, `@marcbachmann/cel-js/lib/evaluator.js`, `node:internal/...`. */
function shortUrl(url: string, repoRoot: string): string {
  let path = url;
  if (url.startsWith("file://")) {
    try {
      path = fileURLToPath(url);
    } catch {
      return url;
    }
  }
  const modules = path.lastIndexOf("/node_modules/");
  if (modules >= 0) {
    const rest = path.slice(modules + "/node_modules/".length);
    // pnpm's store: node_modules/.pnpm/<pkg>@<version>/node_modules/<pkg>/...
    return rest;
  }
  if (path.startsWith(`${repoRoot}/`)) return path.slice(repoRoot.length + 1);
  return path;
}

/** The area of code a frame belongs to, for the share table. */
function areaOf(functionName: string, url: string): string {
  if (!url) {
    if (functionName === "(garbage collector)") return "garbage collector";
    if (functionName === "(program)") return "V8 / native (program)";
    return `native: ${functionName || "(anonymous)"}`;
  }
  if (url.startsWith("node:")) return "node internals";
  const modules = url.lastIndexOf("/node_modules/");
  if (modules >= 0) {
    const rest = url.slice(modules + "/node_modules/".length).split("/");
    return rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : (rest[0] ?? "dependency");
  }
  const core = /\/packages\/core\/src\/([^/]+)\//.exec(url);
  if (core) return `@celgate/core ${core[1]}/`;
  if (url.includes("/bench/")) return "bench";
  return "other";
}
