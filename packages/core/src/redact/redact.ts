import type { InputLimits } from "../limits/limits.js";
import type { EvaluationReport } from "../report/types.js";
import { isRecord } from "../resources/identity.js";
import { parseManifests } from "../resources/parse.js";
import { splitYamlDocuments } from "../resources/split.js";
import type { Resource } from "../resources/types.js";
import { canonicalJson } from "../util/sha256.js";
import {
  CONFIG_MAP_KIND,
  CONTAINER_LISTS,
  CREDENTIAL_NAME,
  FLAG_ALONE,
  FLAG_WITH_VALUE,
  imageUserinfo,
  LAST_APPLIED,
  type RedactionPath,
  SECRET_KIND,
  URL_WITH_PASSWORD,
} from "./rules.js";

/** Every redacted value becomes `celgate:redacted:<digest>`; the digest comes from the caller. */
export const REDACTED_PREFIX = "celgate:redacted:";

export interface RedactionOptions {
  /**
   * The digest of a secret value that goes into its marker. Equal values give equal digests,
   * so "this key changed" stays answerable; it must not be invertible by guessing short values,
   * so use a keyed digest (an HMAC whose key the readers of markers do not have).
   */
  digest(value: string): string;
  /** Operator paths to redact as well (parseRedactionPaths). */
  paths?: readonly RedactionPath[];
  /** The input limits manifests were parsed under (default DEFAULT_INPUT_LIMITS): text is parsed again under the same. */
  limits?: InputLimits;
}

/**
 * Objects are walked this deep at most; a subtree below it is replaced by TOO_DEEP whole (it
 * cannot be inspected, so it is not kept). Above the highest CELGATE_MAX_DEPTH (512), so the input
 * limits refuse such bodies before this; it only keeps the walk off the end of the stack.
 */
export const MAX_REDACTION_DEPTH = 1024;
/** The marker of a subtree nested deeper than MAX_REDACTION_DEPTH. */
export const TOO_DEEP = `${REDACTED_PREFIX}too-deep`;

// Forms shorter than this are masked only as whole words, so a one-letter secret does not
// shred every message; longer ones are masked wherever they occur.
const MIN_SUBSTRING = 4;

/**
 * One redaction pass (use one per evaluation): it replaces secret values in Kubernetes objects
 * and manifest text with markers, and remembers the values it saw so that `mask` can hide them
 * where a message echoes them. What is secret:
 * - every value of the `data` and `stringData` of any object of kind Secret, in any case of the
 *   kind and at any depth (a Template's `objects`, a custom resource embedding one); any
 *   `data`/`stringData` that is not a mapping is replaced whole;
 * - the `data`/`binaryData` values of a ConfigMap (any case, any depth) whose key matches
 *   CREDENTIAL_NAME or whose value is a URL with a password;
 * - in every container list (`containers`, `initContainers`, `ephemeralContainers`, at any
 *   depth): `env[].value` whose name matches CREDENTIAL_NAME or whose value is a URL with a
 *   password; the value of `--flag=value` items of `args` and `command` whose flag matches
 *   CREDENTIAL_NAME or whose value is a URL with a password (and any item that is such a URL);
 *   the userinfo of `image` (`user:pw@registry/app:1` is kept as `registry/app:1`);
 * - the operator's paths;
 * - the `kubectl.kubernetes.io/last-applied-configuration` annotation, redacted by the same rules.
 * Inputs are never modified: changed objects are copies. Never throws.
 */
export class Redaction {
  readonly #digest: (value: string) => string;
  readonly #paths: readonly RedactionPath[];
  readonly #limits: InputLimits | undefined;
  /** Every form a secret may take in a message (as is, base64 decoded or encoded, JSON-escaped) -> its marker. */
  readonly #forms = new Map<string, string>();
  #pattern: RegExp | null | undefined;
  #count = 0;

  constructor(options: RedactionOptions) {
    this.#digest = options.digest;
    this.#paths = options.paths ?? [];
    this.#limits = options.limits;
  }

  /** How many values this pass has replaced. */
  get count(): number {
    return this.#count;
  }

  /** The marker of a value (strings as they are, anything else as canonical JSON). */
  marker(value: unknown): string {
    if (deeperThan(value, MAX_REDACTION_DEPTH)) return TOO_DEEP;
    return REDACTED_PREFIX + this.#digest(typeof value === "string" ? value : canonicalJson(value));
  }

  /**
   * A redacted copy of one document (List items too); the same object when nothing in it is
   * secret. Non-objects come back as they are.
   */
  object<T>(value: T): T {
    return this.#document(value, 0) as T;
  }

  /**
   * The REST API's `resources: [...]` redacted: documents that are not mappings (which the
   * evaluation skips) become null, so every document keeps its index.
   */
  objects(values: readonly unknown[]): unknown[] {
    return values.map((v) => (isRecord(v) ? this.#document(v, 0) : null));
  }

  /**
   * Manifest text redacted. Text with nothing secret and nothing skipped comes back unchanged.
   * Otherwise it is rewritten as one flow (JSON) line per document, each on the line where its
   * document started (so reports keep their line numbers where the original allows), documents
   * the evaluation skipped as `null`, List documents as a List of their items: parsed again, it
   * yields the same resources with the same document indexes, minus the secrets. `parsed`, the
   * resources the caller already parsed from this text, spares a second parse when the text
   * has nothing to redact.
   */
  manifests(text: string, file = "<input>", parsed?: readonly Resource[]): string {
    if (parsed !== undefined && this.#plain(text, parsed)) return text;
    const { resources, diagnostics } = parseManifests(
      text,
      file,
      this.#limits ? { limits: this.#limits } : {},
    );
    const docs = new Map<number, { line: number; objects: unknown[] }>();
    let changed = diagnostics.length > 0;
    for (const r of resources) {
      const redacted = this.#document(r.object, 0);
      if (redacted !== r.object) changed = true;
      const at = r.ref.source?.document ?? 0;
      const doc = docs.get(at) ?? { line: r.ref.source?.line ?? 1, objects: [] };
      doc.objects.push(redacted);
      docs.set(at, doc);
    }
    if (!changed) return text;
    const lines: string[] = [];
    let last = -1;
    for (const i of docs.keys()) last = Math.max(last, i);
    for (let i = 0; i <= last; i++) {
      const doc = docs.get(i);
      const body =
        doc === undefined
          ? "null"
          : doc.objects.length === 1
            ? JSON.stringify(doc.objects[0])
            : JSON.stringify({ apiVersion: "v1", kind: "List", items: doc.objects });
      while (doc && lines.length + 1 < doc.line) lines.push("");
      lines.push(`--- ${body}`);
    }
    lines.push("");
    return lines.join("\n");
  }

  /**
   * Whether YAML text, already parsed to `parsed` (the caller's evaluation did it), can be kept
   * as it is without parsing it again: every document gave exactly one resource (nothing
   * skipped), none spelled "List" (whose skipped items would not show), none holds a secret.
   */
  #plain(text: string, parsed: readonly Resource[]): boolean {
    if (/^\s*[[{]/.test(text)) return false;
    const chunks = splitYamlDocuments(text);
    if (chunks.length !== parsed.length) return false;
    for (let i = 0; i < chunks.length; i++) {
      const r = parsed[i]!;
      if (r.ref.source?.document !== chunks[i]!.index || chunks[i]!.text.includes("List")) return false;
      if (this.#document(r.object, 0) !== r.object) return false;
    }
    return true;
  }

  /** `text` with every secret value this pass has seen replaced by its marker. */
  mask(text: string): string {
    const pattern = this.#maskPattern();
    if (!pattern) return text;
    return text.replace(pattern, (found) => this.#forms.get(found) ?? found);
  }

  /** A copy of the report with violation messages, field paths, reasons, errors and notices masked. */
  maskReport(report: EvaluationReport): EvaluationReport {
    if (!this.#maskPattern()) return report;
    return {
      ...report,
      results: report.results.map((r) => ({
        ...r,
        violations: r.violations.map((v) => ({
          ...v,
          message: this.mask(v.message),
          ...(v.fieldPath !== undefined ? { fieldPath: this.mask(v.fieldPath) } : {}),
          ...(v.reason !== undefined ? { reason: this.mask(v.reason) } : {}),
        })),
        error: r.error === null ? null : this.mask(r.error),
      })),
      ...(report.notices
        ? { notices: report.notices.map((n) => ({ ...n, message: this.mask(n.message) })) }
        : {}),
    };
  }

  #document(value: unknown, depth: number): unknown {
    if (!isRecord(value)) return value;
    if (depth > MAX_REDACTION_DEPTH) return TOO_DEEP;
    const kind = value.kind;
    if (typeof kind === "string" && kind.endsWith("List") && Array.isArray(value.items)) {
      const items = mapSame(value.items, (item) => this.#document(item, depth + 2));
      return items === value.items ? value : { ...value, items };
    }
    let out: Record<string, unknown> = value;
    const walked = this.#walk(out, depth);
    if (!isRecord(walked)) return walked;
    out = walked;
    for (const path of this.#paths)
      if (path.kind === undefined || path.kind === kind)
        out = this.#path(out, path.segments, 0) as typeof out;
    return this.#lastApplied(out, depth);
  }

  /**
   * Every object at any depth: a Secret's (any case of the kind) `data` and `stringData`, a
   * ConfigMap's credential-named keys, and container lists, wherever they appear (an OpenShift
   * Template's `objects`, a custom resource embedding a Secret, a pod template).
   */
  #walk(value: unknown, depth: number): unknown {
    if (typeof value !== "object" || value === null) return value;
    if (depth > MAX_REDACTION_DEPTH) return TOO_DEEP;
    if (Array.isArray(value)) return mapSame(value, (v) => this.#walk(v, depth + 1));
    if (!isRecord(value)) return value;
    let out = this.#kindRules(value);
    for (const [key, v] of Object.entries(out)) {
      const next =
        CONTAINER_LISTS.has(key) && Array.isArray(v)
          ? mapSame(v, (c) => this.#walk(this.#container(c), depth + 2))
          : this.#walk(v, depth + 1);
      if (next !== v) {
        if (out === value) out = { ...value };
        setOwn(out, key, next);
      }
    }
    return out;
  }

  /** The rules of an object's kind: Secret data and stringData, ConfigMap credential-named keys. */
  #kindRules(value: Record<string, unknown>): Record<string, unknown> {
    const kind = value.kind;
    if (typeof kind !== "string") return value;
    let out = value;
    if (SECRET_KIND.test(kind)) {
      for (const field of ["data", "stringData"] as const) {
        const v = out[field];
        if (v === undefined || v === null) continue;
        const redacted = isRecord(v)
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.#redact(x, field === "data")]))
          : this.#redact(v, false);
        out = { ...out, [field]: redacted };
      }
    } else if (CONFIG_MAP_KIND.test(kind)) {
      for (const field of ["data", "binaryData"] as const) {
        const v = out[field];
        if (!isRecord(v)) continue;
        let changed = false;
        const redacted = Object.fromEntries(
          Object.entries(v).map(([k, x]) => {
            if (!CREDENTIAL_NAME.test(k) && !(typeof x === "string" && URL_WITH_PASSWORD.test(x)))
              return [k, x];
            changed = true;
            return [k, this.#redact(x, field === "binaryData")];
          }),
        );
        if (changed) out = { ...out, [field]: redacted };
      }
    }
    return out;
  }

  /**
   * One container: credential-looking env values, `--credential-flag=value` arguments in `args`
   * and `command` (the value only), the item after a credential-named flag alone
   * (`--password`, `hunter2`), and the userinfo of its image reference.
   */
  #container(container: unknown): unknown {
    if (!isRecord(container)) return container;
    let out = container;
    if (Array.isArray(container.env)) {
      const env = mapSame(container.env, (e) => {
        if (!isRecord(e) || e.value === undefined || e.value === null) return e;
        const credential =
          (typeof e.name === "string" && CREDENTIAL_NAME.test(e.name)) ||
          (typeof e.value === "string" && URL_WITH_PASSWORD.test(e.value));
        return credential ? { ...e, value: this.#redact(e.value, false) } : e;
      });
      if (env !== container.env) out = { ...out, env };
    }
    for (const field of ["args", "command"] as const) {
      const list = out[field];
      if (!Array.isArray(list)) continue;
      const next = mapSame(list, (a, i) => {
        if (i > 0 && this.#valueOfCredentialFlag(list[i - 1], a)) return this.#redact(a, false);
        if (typeof a !== "string") return a;
        const flag = FLAG_WITH_VALUE.exec(a);
        if (flag && (CREDENTIAL_NAME.test(flag[2]!) || URL_WITH_PASSWORD.test(flag[3]!)))
          return flag[3] === "" ? a : `${flag[1]}${this.#redact(flag[3], false)}`;
        return URL_WITH_PASSWORD.test(a) ? this.#redact(a, false) : a;
      });
      if (next !== list) out = { ...out, [field]: next };
    }
    if (typeof out.image === "string") {
      const image = this.imageRef(out.image);
      if (image !== out.image) out = { ...out, image };
    }
    return out;
  }

  /**
   * Whether `item` is the value of the credential flag `previous` in the separate form
   * (`["--password", "hunter2"]`): `previous` is a flag alone whose name matches CREDENTIAL_NAME
   * and `item` is not itself a flag (a string starting with `-`) nor empty. A scalar that YAML
   * read as a number or boolean (`--pin`, `1234`) counts as a value.
   */
  #valueOfCredentialFlag(previous: unknown, item: unknown): boolean {
    if (typeof previous !== "string") return false;
    const flag = FLAG_ALONE.exec(previous);
    if (!flag || !CREDENTIAL_NAME.test(flag[1]!)) return false;
    if (typeof item === "string") return item !== "" && !item.startsWith("-");
    return typeof item === "number" || typeof item === "boolean" || typeof item === "bigint";
  }

  /**
   * An image reference without its userinfo (`user:pw@registry.example/app:1` ->
   * `registry.example/app:1`), so history still names the image; the userinfo, its password and
   * the whole reference are remembered, so `mask` hides them where a message echoes them (the
   * whole reference becomes the reference without userinfo). The same text when it has none.
   */
  imageRef(ref: string): string {
    const found = imageUserinfo(ref);
    if (!found) return ref;
    this.#redact(found.userinfo, false);
    const colon = found.userinfo.indexOf(":");
    if (colon >= 0)
      this.#remember(found.userinfo.slice(colon + 1), this.marker(found.userinfo.slice(colon + 1)));
    this.#pattern = undefined;
    this.#forms.set(ref, found.without);
    return found.without;
  }

  #path(value: unknown, segments: readonly string[], at: number): unknown {
    if (at === segments.length)
      // undefined: nothing there; a marker: a rule above already redacted it
      return value === undefined || (typeof value === "string" && value.startsWith(REDACTED_PREFIX))
        ? value
        : this.#redact(value, false);
    const segment = segments[at]!;
    if (segment === "*") {
      if (Array.isArray(value)) return mapSame(value, (v) => this.#path(v, segments, at + 1));
      if (!isRecord(value)) return value;
      let out = value;
      for (const [k, v] of Object.entries(value)) {
        const next = this.#path(v, segments, at + 1);
        if (next !== v) {
          if (out === value) out = { ...value };
          setOwn(out, k, next);
        }
      }
      return out;
    }
    if (!isRecord(value) || !Object.hasOwn(value, segment)) return value;
    const next = this.#path(value[segment], segments, at + 1);
    return next === value[segment] ? value : { ...value, [segment]: next };
  }

  /** The last-applied annotation is a JSON copy of the object: redact it by the same rules. */
  #lastApplied(object: Record<string, unknown>, depth: number): Record<string, unknown> {
    const metadata = object.metadata;
    if (!isRecord(metadata) || !isRecord(metadata.annotations)) return object;
    const text = metadata.annotations[LAST_APPLIED];
    if (text === undefined) return object;
    let replaced: unknown;
    try {
      const parsed: unknown = JSON.parse(String(text));
      const redacted = this.#document(parsed, depth + 1);
      if (redacted === parsed) return object;
      replaced = JSON.stringify(redacted);
    } catch {
      // not JSON: it cannot be checked, so it is not kept
      replaced = this.#redact(text, false);
    }
    return {
      ...object,
      metadata: { ...metadata, annotations: { ...metadata.annotations, [LAST_APPLIED]: replaced } },
    };
  }

  /** Replaces one secret value by its marker and remembers the forms a message may echo. */
  #redact(value: unknown, base64: boolean): string {
    const marker = this.marker(value);
    this.#count++;
    if (marker === TOO_DEEP) return marker;
    for (const s of stringLeaves(value)) {
      this.#remember(s, marker);
      this.#remember(encodeBase64(s), marker);
      if (base64) {
        const decoded = decodeBase64(s);
        if (decoded !== null) this.#remember(decoded, marker);
      }
    }
    return marker;
  }

  #remember(form: string, marker: string): void {
    if (form.trim() === "") return;
    this.#pattern = undefined;
    this.#forms.set(form, marker);
    const escaped = JSON.stringify(form).slice(1, -1);
    if (escaped !== form) this.#forms.set(escaped, marker);
  }

  /** One pattern for every form, longest first; null when there is nothing to mask. */
  #maskPattern(): RegExp | null {
    if (this.#pattern !== undefined) return this.#pattern;
    const forms = [...this.#forms.keys()].sort((a, b) => b.length - a.length);
    const alternatives = (short: (escaped: string) => string) =>
      forms.map((f) => (f.length >= MIN_SUBSTRING ? escapeRegExp(f) : short(escapeRegExp(f)))).join("|");
    if (forms.length === 0) this.#pattern = null;
    else
      try {
        this.#pattern = new RegExp(
          alternatives((e) => `(?<![\\p{L}\\p{N}])${e}(?![\\p{L}\\p{N}])`),
          "gu",
        );
      } catch {
        // A form the Unicode mode refuses (a lone surrogate): mask without word boundaries.
        this.#pattern = new RegExp(
          alternatives((e) => e),
          "g",
        );
      }
    return this.#pattern;
  }
}

/**
 * Sets an own property, `__proto__` included: assignment would set the copy's prototype
 * instead, and the key would vanish from what is stored.
 */
function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
}

/** `items.map(f)`, or `items` itself when f changed nothing (so unchanged objects are not copied). */
function mapSame(items: unknown[], f: (item: unknown, index: number) => unknown): unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < items.length; i++) {
    const next = f(items[i], i);
    if (next !== items[i]) {
      out ??= items.slice();
      out[i] = next;
    }
  }
  return out ?? items;
}

/** Whether a value nests deeper than `limit`; looks no deeper than that. */
function deeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (limit <= 0) return true;
  for (const v of Array.isArray(value) ? value : Object.values(value))
    if (deeperThan(v, limit - 1)) return true;
  return false;
}

/** The scalar values in a value, as text (only called on values within MAX_REDACTION_DEPTH). */
function stringLeaves(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return [String(value)];
  if (Array.isArray(value)) return value.flatMap(stringLeaves);
  if (isRecord(value)) return Object.values(value).flatMap(stringLeaves);
  return [];
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
}

function encodeBase64(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The UTF-8 text a base64 string encodes; null when it is not base64 of text. */
function decodeBase64(text: string): string | null {
  try {
    const binary = atob(text.replace(/\s+/g, ""));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}
