/**
 * A minimal block-style YAML writer for plain data (maps, lists, strings, numbers, booleans,
 * null), so the generated bundle goes through the same YAML parser as real manifests. Strings
 * are plain where YAML would read them back unchanged and double-quoted otherwise (JSON
 * quoting is valid YAML), so `"500m"` stays a string and `1` an integer, as in a hand-written
 * manifest.
 */
export function toYaml(value: unknown): string {
  const lines: string[] = [];
  writeValue(value, "", lines);
  return `${lines.join("\n")}\n`;
}

type Plain = Record<string, unknown>;

function isMap(value: unknown): value is Plain {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isEmpty(value: unknown): boolean {
  return (Array.isArray(value) && value.length === 0) || (isMap(value) && Object.keys(value).length === 0);
}

// Strings that YAML reads back as the same string without quotes; anything else is quoted.
const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./-]*$/;
const RESERVED = new Set(["true", "false", "null", "yes", "no", "on", "off", "y", "n"]);

function scalar(value: unknown): string {
  if (Array.isArray(value)) return "[]";
  if (isMap(value)) return "{}";
  if (typeof value === "string")
    return PLAIN.test(value) && !RESERVED.has(value.toLowerCase()) ? value : JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return "null";
}

function key(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_./-]*$/.test(name) ? name : JSON.stringify(name);
}

function writeValue(value: unknown, indent: string, lines: string[]): void {
  if (isMap(value) && !isEmpty(value)) writeMap(value, indent, lines);
  else if (Array.isArray(value) && value.length > 0) writeList(value, indent, lines);
  else lines.push(indent + scalar(value));
}

function writeMap(map: Plain, indent: string, lines: string[]): void {
  for (const [name, value] of Object.entries(map)) {
    if (value === undefined) continue;
    if ((isMap(value) || Array.isArray(value)) && !isEmpty(value)) {
      lines.push(`${indent}${key(name)}:`);
      writeValue(value, `${indent}  `, lines);
    } else {
      lines.push(`${indent}${key(name)}: ${scalar(value)}`);
    }
  }
}

function writeList(list: readonly unknown[], indent: string, lines: string[]): void {
  for (const item of list) {
    if ((isMap(item) || Array.isArray(item)) && !isEmpty(item)) {
      const start = lines.length;
      writeValue(item, `${indent}  `, lines);
      // the first line of the item carries the dash: "  name: x" -> "- name: x"
      lines[start] = `${indent}- ${lines[start]!.slice(indent.length + 2)}`;
    } else {
      lines.push(`${indent}- ${scalar(item)}`);
    }
  }
}
