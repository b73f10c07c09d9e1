/**
 * Section 6: the service. Its bench is written by the service's authors; this file only finds
 * it (`bench/service.{ts,mts,js,mjs}` exporting `runServiceBench`, else apps/server's public
 * index exporting `runServiceBench`), runs it and prints its rows. Nothing is built or started here.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Context } from "../context.js";
import { num, table } from "../lib/table.js";

/** One row of the service table: column name -> value (numbers are printed with units in the name). */
export type ServiceRow = Record<string, string | number | boolean | null>;

/**
 * What `runServiceBench` returns: rows (e.g. one per target: bare Hono endpoint, PGlite,
 * PostgreSQL) and optional notes printed under the table.
 */
export type ServiceBenchResult = ServiceRow[] | { rows: ServiceRow[]; notes?: string[] };

export interface ServiceBenchOptions {
  /** Shorter runs (the bench's `--quick`). */
  quick: boolean;
  /** Progress lines for the console. */
  log: (line: string) => void;
}

export type RunServiceBench = (
  options: ServiceBenchOptions,
) => Promise<ServiceBenchResult> | ServiceBenchResult;

export type ServiceSection =
  | { available: false; reason: string }
  | { available: true; source: string; rows: ServiceRow[]; notes: string[] }
  | { available: true; source: string; error: string };

interface Candidate {
  source: string;
  path: string;
}

function candidates(benchDir: string, repoRoot: string): Candidate[] {
  const out: Candidate[] = [];
  for (const ext of ["ts", "mts", "js", "mjs"]) {
    const path = join(benchDir, `service.${ext}`);
    if (existsSync(path)) out.push({ source: `bench/service.${ext}`, path });
  }
  const server = join(repoRoot, "apps/server/src/index.ts");
  // read before importing: loading the server pulls in the database drivers
  if (existsSync(server) && readFileSync(server, "utf8").includes("runServiceBench")) {
    out.push({ source: "apps/server (runServiceBench)", path: server });
  }
  return out;
}

/** Finds and runs the service bench; never throws. */
async function runServiceBenchIfAny(
  benchDir: string,
  repoRoot: string,
  options: ServiceBenchOptions,
): Promise<ServiceSection> {
  for (const candidate of candidates(benchDir, repoRoot)) {
    let run: unknown;
    try {
      const mod = (await import(pathToFileURL(candidate.path).href)) as Record<string, unknown>;
      run = mod.runServiceBench;
    } catch (error) {
      return {
        available: true,
        source: candidate.source,
        error: `cannot load: ${(error as Error)?.message ?? error}`,
      };
    }
    if (typeof run !== "function") continue;
    try {
      const result = await (run as RunServiceBench)(options);
      const rows = Array.isArray(result) ? result : result.rows;
      const notes = Array.isArray(result) ? [] : (result.notes ?? []);
      return { available: true, source: candidate.source, rows, notes };
    } catch (error) {
      return { available: true, source: candidate.source, error: (error as Error)?.stack ?? String(error) };
    }
  }
  return { available: false, reason: "no bench/service.* and no runServiceBench export in apps/server" };
}

/** Runs the service bench when there is one and prints its rows; returns what to record. */
export async function serviceSection(ctx: Context): Promise<ServiceSection> {
  const result = await runServiceBenchIfAny(ctx.paths.bench, ctx.paths.repo, {
    quick: ctx.quick,
    log: ctx.progress,
  });
  if (!result.available) {
    ctx.print("  service bench: not available");
  } else if ("error" in result) {
    ctx.print(`  service bench (${result.source}) failed: ${result.error}`);
  } else {
    const columns = [...new Set(result.rows.flatMap((r) => Object.keys(r)))];
    ctx.print(`  from ${result.source}`);
    ctx.print(
      table(
        columns.map((c, i) => ({ header: c, align: i === 0 ? ("left" as const) : ("right" as const) })),
        result.rows.map((r) => columns.map((c) => cell(r[c]))),
      ),
    );
    for (const note of result.notes) ctx.print(`  ${note}`);
  }
  return result;
}

function cell(value: unknown): string {
  if (typeof value === "number") return Number.isInteger(value) ? num(value) : num(value, value < 10 ? 2 : 1);
  if (value === null || value === undefined) return "-";
  return String(value);
}
