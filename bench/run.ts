/**
 * `pnpm bench`: how fast celgate compiles and evaluates, next to hand-written JavaScript, and
 * how much memory it takes. Prints tables (progress goes to stderr) and writes everything to
 * bench/results/<timestamp>.json. bench/README.md says what each figure means.
 *
 *   node --expose-gc --conditions=source --import tsx bench/run.ts
 *        [--quick] [--no-profile] [--no-service] [--no-processes] [--no-reevaluation] [--no-console]
 *        [--policies <dir>] [--only rules,...]
 *
 * No figure is asserted anywhere: timings depend on the machine.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { arch, cpus, freemem, loadavg, platform, release, totalmem } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { corpus } from "../test/support/corpora.js";
import { bundleCache, type Context, makePlan } from "./context.js";
import type { CompiledPolicySet } from "./lib/core.js";
import { compilePolicySet, parsePolicyDocuments } from "./lib/core.js";
import { collectGarbage, type MemoryPeaks, memory, settledHeapBytes } from "./lib/memory.js";
import { heading, mib, num } from "./lib/table.js";
import { compileSection } from "./sections/compile.js";
import { consoleSection } from "./sections/console.js";
import { evaluationSection } from "./sections/evaluation.js";
import { memorySection } from "./sections/memory.js";
import { processSection } from "./sections/processes.js";
import { profileSection } from "./sections/profile.js";
import { reevaluationSection } from "./sections/reevaluation.js";
import { rulesSection } from "./sections/rules.js";
import { serviceSection } from "./sections/service.js";

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    "no-profile": { type: "boolean", default: false },
    "no-service": { type: "boolean", default: false },
    "no-processes": { type: "boolean", default: false },
    "no-reevaluation": { type: "boolean", default: false },
    "no-console": { type: "boolean", default: false },
    policies: { type: "string" },
    /** Runs only the named sections (comma-separated: compile, evaluation, rules, memory, profile, service, processes). */
    only: { type: "string" },
  },
});
const only = args.only ? new Set(args.only.split(",").map((s) => s.trim())) : undefined;

const bench = dirname(fileURLToPath(import.meta.url));
const repo = resolve(bench, "..");
const quick = args.quick === true;
const plan = makePlan(quick);
const startedAt = new Date();
const progress = (text: string) => process.stderr.write(`  ... ${text}\n`);
const mainWorkloads = 1_000;

const ctx: Context = {
  plan,
  quick,
  paths: {
    bench,
    repo,
    // real manifests shared with CI: $CELGATE_CORPORA, by default ../shared/corpora beside the repository
    corpora: corpus("manifests"),
    results: join(bench, "results"),
    policies: resolve(repo, args.policies ?? process.env.CELGATE_BENCH_POLICIES ?? "policies"),
  },
  now: new Date("2026-12-01T00:00:00Z"),
  stamp: startedAt
    .toISOString()
    .replace(/:/g, "-")
    .replace(/\.\d+Z$/, "Z"),
  mainWorkloads,
  print: (text) => process.stdout.write(`${text}\n`),
  progress,
  ...bundleCache(plan, mainWorkloads, progress),
};

const json: Record<string, unknown> = { startedAt: startedAt.toISOString(), quick, plan };
const sectionMemory: Record<string, MemoryPeaks> = {};
const sectionSeconds: Record<string, number> = {};

/** Runs one section; a failure is printed and recorded, and the next section still runs. */
async function section<T>(name: string, title: string, fn: () => T | Promise<T>): Promise<T | undefined> {
  if (only && !only.has(name)) return undefined;
  ctx.print(heading(title));
  // garbage of the previous section would otherwise count as this one's peak
  collectGarbage();
  memory.section();
  const start = performance.now();
  let result: T | undefined;
  try {
    result = await fn();
  } catch (error) {
    const message = (error as Error)?.stack ?? String(error);
    ctx.print(`  section failed: ${message}`);
    json[name] = { error: message };
  }
  sectionMemory[name] = memory.section();
  sectionSeconds[name] = (performance.now() - start) / 1000;
  return result;
}

function machine(): Record<string, unknown> {
  const cpu = cpus();
  let commit = "unknown";
  try {
    const git = (...a: string[]) => execFileSync("git", a, { cwd: repo, encoding: "utf8" }).trim();
    commit = git("rev-parse", "--short", "HEAD");
    if (git("status", "--porcelain")) commit += " (uncommitted changes)";
  } catch {
    // not a git checkout: the commit stays unknown
  }
  let celJs = "unknown";
  try {
    const pkg = join(repo, "packages/core/node_modules/@marcbachmann/cel-js/package.json");
    celJs = (JSON.parse(readFileSync(pkg, "utf8")) as { version: string }).version;
  } catch {
    // not installed where expected: left unknown
  }
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${platform()} ${release()} ${arch()}`,
    cpu: cpu[0]?.model.trim() ?? "unknown",
    cores: cpu.length,
    memoryBytes: totalmem(),
    freeMemoryBytes: freemem(),
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
    celJs,
    commit,
    gcExposed: typeof (globalThis as { gc?: unknown }).gc === "function",
  };
}

/** The five rules of section 3, also evaluated in section 2 while the library is empty. */
function compileFiveRules(): CompiledPolicySet {
  const file = "bench/rules/five-rules.yaml";
  const parsed = parsePolicyDocuments(readFileSync(join(repo, file), "utf8"), file);
  const { set, diagnostics } = compilePolicySet(parsed.located.policies);
  const problems = [...parsed.diagnostics, ...diagnostics];
  if (problems.length > 0) {
    throw new Error(`${file}: ${problems.map((d) => `line ${d.line}: ${d.message}`).join("; ")}`);
  }
  return set;
}

async function main(): Promise<void> {
  const wallStart = performance.now();
  const info = machine();
  json.machine = info;
  ctx.print(`celgate bench, ${startedAt.toISOString()}${quick ? ", QUICK: rough figures" : ""}`);
  ctx.print(
    `  machine: ${info.cpu}, ${info.cores} cores, ${mib(info.memoryBytes as number)} RAM; ${info.platform}; ` +
      `load average ${(info.loadAverage as number[]).join(" ")}`,
  );
  ctx.print(
    `  node ${info.node} (V8 ${info.v8}); cel-js ${info.celJs}; commit ${info.commit}; ` +
      `gc exposed: ${info.gcExposed ? "yes" : "no"}`,
  );
  const baselineHeapBytes = settledHeapBytes();

  const compiled = await section("compile", "1. Compile the built-in library", () => compileSection(ctx));
  json.compile = compiled?.json ?? json.compile;

  const five = compileFiveRules();
  const library = compiled && compiled.set.policies.length > 0 ? compiled.set : undefined;
  const evaluated = library ?? five;
  const setName = library
    ? `the library (${library.policies.length} policies)`
    : "the five rules of section 3";

  const evaluation = await section("evaluation", `2. Evaluate ${setName}`, () =>
    evaluationSection(ctx, evaluated, setName),
  );
  json.evaluation = evaluation?.json ?? json.evaluation;

  json.rules =
    (await section("rules", "3. The same five rules: CEL versus hand-written JavaScript", () =>
      rulesSection(ctx, five),
    )) ?? json.rules;

  json.memory =
    (await section("memory", "4. Memory", () =>
      memorySection(ctx, {
        baselineHeapBytes,
        retainedLibraryBytes: compiled?.retainedBytes,
        retainedBundleBytes: evaluation?.retainedBundleBytes,
        retainedReportBytes: evaluation?.retainedReportBytes,
        sections: sectionMemory,
      }),
    )) ?? json.memory;

  if (!args["no-profile"]) {
    json.profile =
      (await section(
        "profile",
        `5. Where evaluate() spends its time (${setName}, ${num(mainWorkloads)} generated workloads)`,
        () => profileSection(ctx, evaluated),
      )) ?? json.profile;
  }

  if (only && !only.has("service")) {
    // left out by --only
  } else if (args["no-service"]) {
    ctx.print(heading("6. Service"));
    ctx.print("  service bench: skipped (--no-service)");
    json.service = { available: false, reason: "--no-service" };
  } else {
    json.service = (await section("service", "6. Service", () => serviceSection(ctx))) ?? json.service;
  }

  if (only && !only.has("processes")) {
    // left out by --only
  } else if (args["no-processes"]) {
    ctx.print(heading("7. Whole processes"));
    ctx.print("  process bench: skipped (--no-processes)");
  } else {
    json.processes =
      (await section("processes", "7. Whole processes: celgate check, cold, as a user runs it", () =>
        processSection({
          repo,
          rounds: quick ? 1 : 5,
          sizes: quick ? [100, 1_000] : [100, 1_000, 10_000],
          print: ctx.print,
          progress,
        }),
      )) ?? json.processes;
  }

  if (args["no-reevaluation"]) {
    ctx.print(heading("8. Continuous re-evaluation"));
    ctx.print("  re-evaluation bench: skipped (--no-reevaluation)");
  } else {
    json.reevaluation =
      (await section(
        "reevaluation",
        "8. Continuous re-evaluation: one policy change over the inventory, and concurrent evaluations",
        () => reevaluationSection(ctx),
      )) ?? json.reevaluation;
  }

  if (args["no-console"]) {
    ctx.print(heading("9. Web console"));
    ctx.print("  console bench: skipped (--no-console)");
  } else {
    json.console =
      (await section("console", "9. Web console: bundle size and time to interactive", () =>
        consoleSection(ctx),
      )) ?? json.console;
  }

  const totalSeconds = (performance.now() - wallStart) / 1000;
  json.totalSeconds = totalSeconds;
  json.sectionSeconds = sectionSeconds;
  mkdirSync(ctx.paths.results, { recursive: true });
  const out = join(ctx.paths.results, `${ctx.stamp}.json`);
  writeFileSync(out, `${JSON.stringify(json, null, 2)}\n`);
  const times = Object.entries(sectionSeconds).map(([name, seconds]) => `${name} ${num(seconds, 1)}`);
  ctx.print(`\nresults: ${relative(repo, out)}; ${num(totalSeconds, 1)} s in all (${times.join(", ")})`);
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${(error as Error)?.stack ?? error}\n`);
  process.exitCode = 1;
});
