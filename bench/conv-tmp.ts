import { isWorkload } from "./context.js";
import { generateBundle } from "./generate.js";
import { parseManifests } from "./lib/core.js";
const g = generateBundle(1000);
const objs = parseManifests(g.yaml, "g").resources.filter(isWorkload).map((r) => r.object);
function convA(v: unknown): unknown {
  if (typeof v === "number") return Number.isInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(convA);
  if (v && typeof v === "object") { const o: Record<string, unknown> = Object.create(null); for (const k of Object.keys(v)) o[k] = convA((v as any)[k]); return o; }
  return v;
}
function convB(v: unknown): unknown {
  if (typeof v === "number") return Number.isInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(convB);
  if (v && typeof v === "object") { const o: Record<string, unknown> = {}; for (const k of Object.keys(v)) { if (k === "__proto__") { Object.defineProperty(o, k, { value: convB((v as any)[k]), enumerable: true, writable: true, configurable: true }); continue; } o[k] = convB((v as any)[k]); } Object.setPrototypeOf(o, null); return o; }
  return v;
}
function read(o: any): number { let n = 0; for (let i = 0; i < 20; i++) { const s = o.spec; const t = s?.template?.spec ?? s; if (t?.containers) n += t.containers.length; if (o.metadata?.name) n++; } return n; }
for (const [name, f] of [["A", convA], ["B", convB], ["A", convA], ["B", convB]] as const) {
  const t0 = performance.now(); let out: unknown[] = [];
  for (let r = 0; r < 20; r++) out = objs.map(f);
  const t1 = performance.now(); let n = 0;
  for (let r = 0; r < 20; r++) for (const o of out) n += read(o);
  const t2 = performance.now();
  console.log(name, "convert", ((t1 - t0) / 20).toFixed(1), "ms", "read", ((t2 - t1) / 20).toFixed(1), "ms", n, "%HasFastProperties" ? "" : "");
}
