import { describe, expect, it } from "vitest";
import { cgroupCpuQuota, defaultEvaluatorThreads, type ReadText, usableCpus } from "./cpus.js";

/** A file system of the given files; any other path is unreadable. */
const files =
  (map: Record<string, string>): ReadText =>
  (path) =>
    map[path];

describe("usable CPUs and the evaluator threads they leave", () => {
  it("takes the cores when the control group sets no quota or cannot be read", () => {
    expect(cgroupCpuQuota(files({}))).toBeUndefined();
    const unlimited = files({ "/proc/self/cgroup": "0::/\n", "/sys/fs/cgroup/cpu.max": "max 100000\n" });
    expect(cgroupCpuQuota(unlimited)).toBeUndefined();
    expect(usableCpus(unlimited, 8)).toBe(8);
    expect(defaultEvaluatorThreads(unlimited, 8)).toBe(7);
    expect(defaultEvaluatorThreads(unlimited, 2)).toBe(1);
    expect(defaultEvaluatorThreads(unlimited, 1)).toBe(1);
  });

  it("caps the cores at a cgroup v2 quota, rounded up, the smallest along the path", () => {
    const pod = files({
      "/proc/self/cgroup": "0::/kubepods/pod1/ctr\n",
      "/sys/fs/cgroup/kubepods/pod1/ctr/cpu.max": "max 100000",
      "/sys/fs/cgroup/kubepods/pod1/cpu.max": "150000 100000\n",
      "/sys/fs/cgroup/kubepods/cpu.max": "800000 100000",
      "/sys/fs/cgroup/cpu.max": "max 100000",
    });
    expect(cgroupCpuQuota(pod)).toBe(1.5);
    expect(usableCpus(pod, 16)).toBe(2);
    expect(defaultEvaluatorThreads(pod, 16)).toBe(1);
    // a quota above the cores leaves the cores
    const wide = files({ "/proc/self/cgroup": "0::/\n", "/sys/fs/cgroup/cpu.max": "800000 100000" });
    expect(usableCpus(wide, 4)).toBe(4);
    // a quarter of a CPU still runs one thread
    const small = files({ "/proc/self/cgroup": "0::/\n", "/sys/fs/cgroup/cpu.max": "25000 100000" });
    expect(usableCpus(small, 16)).toBe(1);
    expect(defaultEvaluatorThreads(small, 16)).toBe(1);
  });

  it("reads cgroup v1's quota and period, where -1 means none", () => {
    const v1 = files({
      "/proc/self/cgroup": "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n",
      "/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "300000\n",
      "/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n",
      "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "-1\n",
      "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000\n",
    });
    expect(cgroupCpuQuota(v1)).toBe(3);
    expect(defaultEvaluatorThreads(v1, 32)).toBe(2);
    const none = files({
      "/proc/self/cgroup": "4:cpu,cpuacct:/\n",
      "/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "-1",
      "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000",
    });
    expect(cgroupCpuQuota(none)).toBeUndefined();
  });

  it("ignores what it cannot parse, and paths that try to leave the cgroup tree", () => {
    const odd = files({
      "/proc/self/cgroup": "garbage\n0::/../../etc\n",
      "/sys/fs/cgroup/etc/cpu.max": "oops 100000",
      "/sys/fs/cgroup/cpu.max": "0 100000",
    });
    expect(cgroupCpuQuota(odd)).toBeUndefined();
  });

  it("reads this machine without failing", () => {
    expect(defaultEvaluatorThreads()).toBeGreaterThanOrEqual(1);
    expect(usableCpus()).toBeGreaterThanOrEqual(defaultEvaluatorThreads());
  });
});
