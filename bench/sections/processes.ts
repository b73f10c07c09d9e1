/**
 * Whole `celgate check` processes, as a user runs them: (a) the cost of a check of the
 * 1,000-workload bundle over a one-Pod check, as a ratio of the same difference for a process
 * that only parses the two files with js-yaml; (d) 100 / 1,000 / 10,000 workloads, wall time
 * and peak RSS. Every case is a cold process; cases are interleaved round by round so that a
 * load spike on a shared machine hits them alike. Runs the built CLI (packages/cli/dist).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { generateBundle } from "../generate.js";
import { summarise, type Timing } from "../lib/measure.js";
import { mib, ms, num, ratio, table } from "../lib/table.js";

export interface ProcessOptions {
  /** The repository root (for the CLI, the policies and js-yaml). */
  repo: string;
  /** The CLI entry point; default the `celgate` binary, `<repo>/packages/cli/dist/celgate.mjs`. */
  cli?: string;
  /** Rounds of interleaved runs. */
  rounds: number;
  /** Workload counts for (d). */
  sizes: readonly number[];
  /** Another build of the CLI to run alongside, interleaved (its rows are marked "baseline"). */
  baseline?: string;
  print(text: string): void;
  progress(text: string): void;
}

export interface ProcessCase {
  label: string;
  timing: Timing;
  /** Peak resident set of the process (the kernel's high-water mark), the largest seen. */
  peakRssBytes: number;
  /**
   * CPU time of the process's main thread (Linux's /proc/thread-self/schedstat), which other
   * work on a shared machine moves far less than wall time; absent where that file is not.
   */
  mainThread?: Timing;
}

const ONE_POD = `apiVersion: v1
kind: Pod
metadata:
  name: one
  namespace: default
spec:
  containers:
    - name: app
      image: registry.example/app:1.0
`;

// Written by a preloaded script at exit, on file descriptor 3: the process's peak RSS and the
// CPU time of its main thread in ms (-1 without /proc/thread-self/schedstat, whose first field
// is the thread's time on a CPU in ns).
const RSS_PRELOAD = `process.on("exit", () => {
  const fs = require("node:fs");
  let main = -1;
  try { main = Number(fs.readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]) / 1e6; } catch {}
  try { fs.writeSync(3, JSON.stringify({ rss: process.resourceUsage().maxRSS * 1024, main })); } catch {}
});
`;

// Only parses its argument files with js-yaml, as cheaply as a process that reads YAML can
// (argv[1] is this script: it once parsed itself too, the same constant in both cases).
const PARSE_ONLY = `const { readFileSync } = require("node:fs");
const yaml = require(process.env.BENCH_JS_YAML);
let n = 0;
for (const file of process.argv.slice(2)) yaml.loadAll(readFileSync(file, "utf8"), () => { n++; });
if (n === 0) process.exit(3);
`;

function run(
  args: string[],
  env: Record<string, string> | undefined,
): { ms: number; rss: number; main: number } {
  const start = performance.now();
  const child = spawnSync(process.execPath, args, {
    stdio: ["ignore", "ignore", "pipe", "pipe"],
    // the 10,000-workload bundle is over the default documents-per-input limit
    env: { ...process.env, CELGATE_MAX_DOCUMENTS: "1000000", ...env },
    maxBuffer: 1 << 20,
  });
  const elapsed = performance.now() - start;
  if (child.status !== 0 && child.status !== 1) {
    throw new Error(`${args.join(" ")}: exit ${child.status}: ${child.stderr?.toString().slice(0, 500)}`);
  }
  const written = JSON.parse(child.output[3]?.toString() || "{}") as { rss?: number; main?: number };
  return { ms: elapsed, rss: written.rss ?? 0, main: written.main ?? -1 };
}

/** Runs sections (a) and (d); returns every figure for the results file. */
export function processSection(options: ProcessOptions): Record<string, unknown> {
  const cli = options.cli ?? join(options.repo, "packages/cli/dist/celgate.mjs");
  const dir = mkdtempSync(join(tmpdir(), "celgate-bench-"));
  try {
    const preload = join(dir, "rss.cjs");
    writeFileSync(preload, RSS_PRELOAD);
    const parseOnly = join(dir, "parse-only.cjs");
    writeFileSync(parseOnly, PARSE_ONLY);
    const jsYaml = createRequire(join(options.repo, "packages/core/package.json")).resolve("js-yaml");
    const pod = join(dir, "pod.yaml");
    writeFileSync(pod, ONE_POD);
    const files = new Map<number, string>();
    const sizes = [...new Set([1_000, ...options.sizes])].sort((a, b) => a - b);
    for (const size of sizes) {
      options.progress(`writing ${num(size)} workloads`);
      const file = join(dir, `workloads-${size}.yaml`);
      writeFileSync(file, generateBundle(size).yaml);
      files.set(size, file);
    }
    // the policy cache in a folder of its own: warmed by the untimed first run of each case
    const env = { CELGATE_CACHE_DIR: join(dir, "cache") };
    const check = (file: string, main = cli) => [
      "--require",
      preload,
      main,
      "check",
      "-o",
      "json",
      "--fail-on",
      "never",
      file,
    ];
    const cases: { label: string; args: string[]; env?: Record<string, string> }[] = [
      {
        label: "parse only: one Pod",
        args: ["--require", preload, parseOnly, pod],
        env: { BENCH_JS_YAML: jsYaml },
      },
      {
        label: "parse only: 1,000 workloads",
        args: ["--require", preload, parseOnly, files.get(1_000)!],
        env: { BENCH_JS_YAML: jsYaml },
      },
      { label: "check: one Pod, policy cache off", args: check(pod), env: { ...env, CELGATE_CACHE: "off" } },
      { label: "check: one Pod", args: check(pod), env },
      ...sizes.map((size) => ({
        label: `check: ${num(size)} workloads`,
        args: check(files.get(size)!),
        env,
      })),
      ...(options.baseline
        ? [
            { label: "baseline check: one Pod", args: check(pod, options.baseline), env },
            ...sizes.map((size) => ({
              label: `baseline check: ${num(size)} workloads`,
              args: check(files.get(size)!, options.baseline),
              env,
            })),
          ]
        : []),
    ];
    // one untimed run each: the file cache and the policy cache (when on) are warm for all alike
    for (const c of cases) run(c.args, c.env);
    const samples = new Map<string, { ms: number[]; main: number[]; rss: number }>(
      cases.map((c) => [c.label, { ms: [], main: [], rss: 0 }]),
    );
    for (let round = 0; round < options.rounds; round++) {
      options.progress(`processes, round ${round + 1} of ${options.rounds}`);
      for (const c of cases) {
        // the 10,000-workload check takes long: fewer rounds keep the section within minutes
        if (c.label.includes("10,000") && round >= Math.max(2, Math.ceil(options.rounds / 3))) continue;
        const out = run(c.args, c.env);
        const s = samples.get(c.label)!;
        s.ms.push(out.ms);
        if (out.main >= 0) s.main.push(out.main);
        s.rss = Math.max(s.rss, out.rss);
      }
    }
    const result: ProcessCase[] = cases.map((c) => {
      const s = samples.get(c.label)!;
      const mainThread = s.main.length === s.ms.length ? { mainThread: summarise(s.main) } : {};
      return { label: c.label, timing: summarise(s.ms), peakRssBytes: s.rss, ...mainThread };
    });
    const by = (label: string) => result.find((r) => r.label === label)!.timing;
    const diff = (a: Timing, b: Timing, key: "minMs" | "medianMs") => a[key] - b[key];
    const ratioOf = (of: (label: string) => Timing | undefined) => {
      const [check, pod, parse, parsePod] = [
        "check: 1,000 workloads",
        "check: one Pod",
        "parse only: 1,000 workloads",
        "parse only: one Pod",
      ].map(of);
      if (!check || !pod || !parse || !parsePod) return undefined;
      return {
        min: diff(check, pod, "minMs") / diff(parse, parsePod, "minMs"),
        median: diff(check, pod, "medianMs") / diff(parse, parsePod, "medianMs"),
      };
    };
    const ratioA = ratioOf(by) as { min: number; median: number };
    // the same ratio in main-thread CPU time: what the process itself spent, less moved by load
    const ratioAMainThread = ratioOf((label) => result.find((r) => r.label === label)?.mainThread);
    options.print(
      table(
        [
          { header: "process", align: "left" },
          { header: "min ms" },
          { header: "median ms" },
          { header: "runs" },
          { header: "main thread CPU ms" },
          { header: "peak RSS" },
        ],
        result.map((r) => [
          r.label,
          ms(r.timing.minMs),
          ms(r.timing.medianMs),
          num(r.timing.iterations),
          r.mainThread ? `${ms(r.mainThread.minMs)} / ${ms(r.mainThread.medianMs)}` : "-",
          mib(r.peakRssBytes),
        ]),
      ),
    );
    options.print("");
    options.print(
      `  (a) (check 1,000 - check one Pod) / (parse 1,000 - parse one Pod): ${ratio(ratioA.min)} by min, ` +
        `${ratio(ratioA.median)} by median (target at most 2.0)`,
    );
    if (ratioAMainThread)
      options.print(
        `      the same in main-thread CPU time: ${ratio(ratioAMainThread.min)} by min, ` +
          `${ratio(ratioAMainThread.median)} by median (moved less by other work on the machine)`,
      );
    const checks = sizes.map((size) => ({ size, timing: by(`check: ${num(size)} workloads`) }));
    const onePod = by("check: one Pod");
    for (const { size, timing } of checks) {
      options.print(
        `  (d) ${num(size)} workloads: ${num((timing.medianMs - onePod.medianMs) / size, 3)} ms per workload ` +
          `over a one-Pod check (median), peak RSS ${mib(result.find((r) => r.label === `check: ${num(size)} workloads`)!.peakRssBytes)}`,
      );
    }
    const cold = by("check: one Pod, policy cache off");
    options.print(
      `  warm start: a one-Pod check with the policy cache ${ms(onePod.minMs)} / ${ms(onePod.medianMs)} ms ` +
        `(min / median), without it ${ms(cold.minMs)} / ${ms(cold.medianMs)} ms`,
    );
    return { cases: result, ratioA, ratioAMainThread, cli, baseline: options.baseline };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
