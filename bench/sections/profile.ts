/** Section 5: a CPU profile of evaluate() over the main bundle, summarised by self time. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { Context } from "../context.js";
import type { CompiledPolicySet } from "../lib/core.js";
import { evaluate } from "../lib/core.js";
import { profile } from "../lib/profile.js";
import { ms, num, table } from "../lib/table.js";

export async function profileSection(ctx: Context, set: CompiledPolicySet): Promise<Record<string, unknown>> {
  const main = ctx.bundle(ctx.mainWorkloads);
  const input = { resources: main.resources, images: main.images, now: ctx.now };
  ctx.progress("profiling");
  const summary = await profile(() => evaluate(set, input), ctx.plan.profileMs, ctx.paths.repo);
  mkdirSync(ctx.paths.results, { recursive: true });
  const file = join(ctx.paths.results, `${ctx.stamp}.cpuprofile`);
  writeFileSync(file, JSON.stringify(summary.profile));
  ctx.print(
    `  ${summary.runs} run(s), ${ms(summary.totalMs)} ms of samples; the 10 functions with most self time:`,
  );
  ctx.print(
    table(
      [
        { header: "self ms" },
        { header: "self %" },
        { header: "function", align: "left" },
        { header: "where", align: "left" },
      ],
      summary.top.map((f) => [ms(f.selfMs), num(f.selfPercent, 1), f.name, f.location]),
    ),
  );
  ctx.print("");
  ctx.print("  Self time by area of code");
  ctx.print(
    table(
      [{ header: "self %" }, { header: "area", align: "left" }],
      summary.areas.slice(0, 10).map((a) => [num(a.selfPercent, 1), a.area]),
    ),
  );
  ctx.print(`  profile: ${relative(ctx.paths.repo, file)} (Chrome DevTools > Performance > Load profile)`);
  return {
    runs: summary.runs,
    totalMs: summary.totalMs,
    top: summary.top,
    areas: summary.areas,
    file: relative(ctx.paths.repo, file),
  };
}
