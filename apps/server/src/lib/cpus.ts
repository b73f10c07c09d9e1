import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

/** Reads a file as text; undefined when it cannot be read. */
export type ReadText = (path: string) => string | undefined;

const readText: ReadText = (path) => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
};

/**
 * The CPU quota of this process's control group, in CPUs (1.5 for "150000 100000"), the
 * smallest along its path up to the root; undefined when there is none or it cannot be read.
 * A container given `limits.cpu: "1"` on a 16-core node has 16 cores in `availableParallelism()`
 * (Node 20's libuv does not look at the quota) but one CPU's worth of time to spend.
 * cgroup v2 (`cpu.max`) and v1 (`cpu.cfs_quota_us` over `cpu.cfs_period_us`).
 */
export function cgroupCpuQuota(read: ReadText = readText): number | undefined {
  const membership = read("/proc/self/cgroup") ?? "";
  let smallest: number | undefined;
  const keep = (cpus: number | undefined) => {
    if (cpus !== undefined && Number.isFinite(cpus) && cpus > 0) smallest = Math.min(smallest ?? cpus, cpus);
  };
  for (const line of membership.split("\n")) {
    // "0::/kubepods/pod1/ctr" (v2) or "4:cpu,cpuacct:/docker/abc" (v1)
    const [, controllers, path] = line.match(/^\d+:([^:]*):(.*)$/) ?? [];
    if (path === undefined) continue;
    if (controllers === "") {
      for (const dir of ancestors("/sys/fs/cgroup", path)) keep(parseCpuMax(read(`${dir}/cpu.max`)));
    } else if (controllers?.split(",").includes("cpu")) {
      for (const mount of ["/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"])
        for (const dir of ancestors(mount, path))
          keep(quotaOverPeriod(read(`${dir}/cpu.cfs_quota_us`), read(`${dir}/cpu.cfs_period_us`)));
    }
  }
  return smallest;
}

/** `root` joined with each prefix of `path`, deepest first, `root` itself last. */
function ancestors(root: string, path: string): string[] {
  const parts = path.split("/").filter((p) => p !== "" && p !== "." && p !== "..");
  const dirs: string[] = [];
  for (let i = parts.length; i >= 0; i--) dirs.push([root, ...parts.slice(0, i)].join("/"));
  return dirs;
}

/** cgroup v2 `cpu.max`: "max 100000" (no quota) or "<quota> <period>". */
function parseCpuMax(text: string | undefined): number | undefined {
  const [quota, period] = (text ?? "").trim().split(/\s+/);
  if (quota === undefined || quota === "max") return undefined;
  return quotaOverPeriod(quota, period);
}

function quotaOverPeriod(quota: string | undefined, period: string | undefined): number | undefined {
  const q = Number(quota?.trim());
  const p = Number(period?.trim() || "100000");
  // v1 writes -1 for no quota
  if (!Number.isFinite(q) || !Number.isFinite(p) || q <= 0 || p <= 0) return undefined;
  return q / p;
}

/** The CPUs this process may keep busy: the cores it may run on, capped by its cgroup's quota (rounded up). */
export function usableCpus(read: ReadText = readText, cores = availableParallelism()): number {
  const quota = cgroupCpuQuota(read);
  return Math.max(1, quota === undefined ? cores : Math.min(cores, Math.ceil(quota)));
}

/**
 * Evaluator threads when none are configured: one core fewer than the process may use, at least
 * one. The event loop needs a core of its own: it spends about as much per evaluation as the
 * evaluator (HTTP, the database driver, the receipt). With a thread per core, the evaluators
 * took its time and the service spent more CPU per evaluation and served fewer (measured on 2
 * cores: bench/README.md, "Evaluator threads and slots").
 */
export function defaultEvaluatorThreads(read: ReadText = readText, cores = availableParallelism()): number {
  return Math.max(1, usableCpus(read, cores) - 1);
}
