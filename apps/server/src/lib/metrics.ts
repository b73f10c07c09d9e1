type Labels = Record<string, string>;

const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A label value as the text format writes it: backslash, double quote and newline escaped. */
function escapeLabel(value: string): string {
  // nearly every value needs nothing (an escape-free test costs less than three replacements)
  if (!/[\\"\n]/.test(value)) return value;
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** The series key of a label set: `name="value"` pairs sorted by name, comma-separated. */
function key(labels: Labels): string {
  const names = Object.keys(labels);
  // a few calls per request: one string built, without the arrays of map() and join()
  if (names.length > 1) names.sort();
  let out = "";
  for (let i = 0; i < names.length; i++) {
    const k = names[i] as string;
    out += `${i > 0 ? "," : ""}${k}="${escapeLabel(String(labels[k]))}"`;
  }
  return out;
}

interface Family {
  help: string;
  type: "counter" | "gauge" | "histogram";
  values: Map<string, number>;
  histograms: Map<string, { buckets: number[]; sum: number; count: number }>;
}

/** A small Prometheus registry: counters, gauges and histograms rendered as text format 0.0.4. */
export class Metrics {
  readonly #families = new Map<string, Family>();

  #family(name: string, type: Family["type"], help: string): Family {
    let f = this.#families.get(name);
    if (!f) {
      f = { help, type, values: new Map(), histograms: new Map() };
      this.#families.set(name, f);
    }
    return f;
  }

  inc(name: string, help: string, labels: Labels = {}, by = 1): void {
    const f = this.#family(name, "counter", help);
    const k = key(labels);
    f.values.set(k, (f.values.get(k) ?? 0) + by);
  }

  set(name: string, help: string, value: number, labels: Labels = {}): void {
    this.#family(name, "gauge", help).values.set(key(labels), value);
  }

  observe(name: string, help: string, value: number, labels: Labels = {}): void {
    const f = this.#family(name, "histogram", help);
    const k = key(labels);
    let h = f.histograms.get(k);
    if (!h) {
      h = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 };
      f.histograms.set(k, h);
    }
    for (let i = 0; i < BUCKETS.length; i++) if (value <= (BUCKETS[i] as number)) h.buckets[i]! += 1;
    h.sum += value;
    h.count += 1;
  }

  /** The exposition text. */
  render(): string {
    const out: string[] = [];
    for (const [name, f] of this.#families) {
      out.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`);
      for (const [k, v] of f.values) out.push(`${name}${k ? `{${k}}` : ""} ${v}`);
      for (const [k, h] of f.histograms) {
        const sep = k ? `${k},` : "";
        for (const [i, b] of BUCKETS.entries()) out.push(`${name}_bucket{${sep}le="${b}"} ${h.buckets[i]}`);
        out.push(`${name}_bucket{${sep}le="+Inf"} ${h.count}`);
        out.push(`${name}_sum${k ? `{${k}}` : ""} ${h.sum}`);
        out.push(`${name}_count${k ? `{${k}}` : ""} ${h.count}`);
      }
    }
    return `${out.join("\n")}\n`;
  }
}
