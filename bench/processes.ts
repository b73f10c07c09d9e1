/**
 * Sections (a) and (d) of `pnpm bench` on their own, for comparing two builds of the CLI:
 *
 *   node --import tsx bench/processes.ts [--cli main.js] [--baseline other/main.js] [--rounds N] [--sizes 100,1000]
 *
 * With --baseline, that build's checks run interleaved with this one's (rows marked "baseline").
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { processSection } from "./sections/processes.js";

const { values } = parseArgs({
  options: {
    cli: { type: "string" },
    baseline: { type: "string" },
    rounds: { type: "string", default: "5" },
    sizes: { type: "string", default: "100,1000,10000" },
  },
});
const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const figures = processSection({
  repo,
  ...(values.cli ? { cli: resolve(values.cli) } : {}),
  ...(values.baseline ? { baseline: resolve(values.baseline) } : {}),
  rounds: Number(values.rounds),
  sizes: values.sizes.split(",").map(Number),
  print: (text) => process.stdout.write(`${text}\n`),
  progress: (text) => process.stderr.write(`  ... ${text}\n`),
});
process.stdout.write(
  `${JSON.stringify({ ratioA: figures.ratioA, ratioAMainThread: figures.ratioAMainThread })}\n`,
);
