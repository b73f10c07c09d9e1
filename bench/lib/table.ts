/** Plain-text tables with aligned columns, and number formats with units. */

export interface Column {
  header: string;
  align?: "left" | "right";
}

/** Renders rows under headers; numbers are expected already formatted. */
export function table(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
  indent = "  ",
): string {
  const widths = columns.map((c, i) => Math.max(width(c.header), ...rows.map((r) => width(r[i] ?? ""))));
  const line = (cells: readonly string[]) =>
    indent +
    columns
      .map((c, i) => {
        const cell = cells[i] ?? "";
        const pad = " ".repeat(widths[i]! - width(cell));
        return c.align === "left" ? cell + pad : pad + cell;
      })
      .join("  ")
      .trimEnd();
  const rule = indent + widths.map((w) => "-".repeat(w)).join("  ");
  return [line(columns.map((c) => c.header)), rule, ...rows.map(line)].join("\n");
}

function width(text: string): number {
  return [...text].length;
}

/** A section heading. */
export function heading(title: string): string {
  return `\n${title}\n${"=".repeat(title.length)}`;
}

/** `1,234.5`: fixed decimals with thousands separators; `-` for a missing value. */
export function num(value: number | undefined, decimals = 0): string {
  if (value === undefined || !Number.isFinite(value)) return "-";
  return value.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** Milliseconds with a precision that suits their size. */
export function ms(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return "-";
  return num(value, value < 10 ? 2 : value < 100 ? 1 : 0);
}

/** Microseconds likewise. */
export function us(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return "-";
  return num(value, value < 10 ? 2 : value < 100 ? 1 : 0);
}

/** A ratio as `12.3x`. */
export function ratio(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return "-";
  return `${num(value, value < 10 ? 2 : 1)}x`;
}

/** Bytes as MiB. */
export function mib(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return "-";
  return `${num(bytes / 1024 / 1024, 1)} MiB`;
}
