import type { InputLimits } from "../limits/limits.js";
import type { EvaluationReport } from "../report/types.js";
import { isRecord } from "../resources/identity.js";
import { parseManifests } from "../resources/parse.js";
import { splitYamlDocuments } from "../resources/split.js";
import type { Resource } from "../resources/types.js";
import { canonicalJson } from "../util/sha256.js";
import { argvEdits, type Edit, type ItemEdits, imageProgram, textEdits } from "./argv.js";
import {
  CONFIG_MAP_KIND,
  CONTAINER_LISTS,
  CREDENTIAL_NAME,
  HOOKS,
  imageUserinfo,
  LAST_APPLIED,
  PROBES,
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

/**
 * A command line (a container's `command` and `args` together, or a probe's or hook's
 * `exec.command`) of more items than this is not read item by item: each of its lists is kept
 * as one TOO_LONG item. Reading costs microseconds per item on the request thread; no real
 * command line comes near this, and what cannot be inspected is not kept.
 */
export const MAX_COMMAND_LINE_ITEMS = 4096;
export const TOO_LONG = `${REDACTED_PREFIX}too-long`;

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
 *   CREDENTIAL_NAME or whose value is a URL with a password, and what credentialSpans finds in
 *   its other `data` values (`password=…` in a properties file);
 * - in every container list (`containers`, `initContainers`, `ephemeralContainers`, at any
 *   depth): `env[].value` whose name matches CREDENTIAL_NAME or whose value is a URL with a
 *   password, and what credentialSpans finds in the others; what argvEdits finds in `command`
 *   and `args` (one command line) and in the `exec.command` of probes and lifecycle hooks
 *   (credential flags, program password flags, shell scripts); credential-named `httpGet`
 *   headers of probes and hooks; the userinfo of `image` (`user:pw@registry/app:1` is kept as
 *   `registry/app:1`);
 * - `metadata.annotations` of any object at any depth: values whose name matches
 *   CREDENTIAL_NAME or that are URLs with a password, and what credentialSpans finds in the others;
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
    let out = this.#annotations(this.#kindRules(value));
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
            // binaryData is base64: only its key can tell
            const next =
              field === "binaryData"
                ? CREDENTIAL_NAME.test(k)
                  ? this.#redact(x, true)
                  : x
                : this.#named(k, x);
            if (next !== x) changed = true;
            return [k, next];
          }),
        );
        if (changed) out = { ...out, [field]: redacted };
      }
    }
    return out;
  }

  /**
   * `metadata.annotations` (of any object at any depth, pod templates included): values whose
   * name (the part after the last `/`) looks like a credential, whole; credentials inside the
   * others (a URL with a password, `"password": "…"` in a JSON value). The last-applied
   * annotation is left to #lastApplied.
   */
  #annotations(value: Record<string, unknown>): Record<string, unknown> {
    const metadata = value.metadata;
    if (!isRecord(metadata) || !isRecord(metadata.annotations)) return value;
    const annotations = metadata.annotations;
    let out = annotations;
    for (const [k, v] of Object.entries(annotations)) {
      if (k === LAST_APPLIED || typeof v !== "string") continue;
      const next = this.#named(k.slice(k.lastIndexOf("/") + 1), v);
      if (next === v) continue;
      if (out === annotations) out = { ...annotations };
      setOwn(out, k, next);
    }
    return out === annotations ? value : { ...value, metadata: { ...metadata, annotations: out } };
  }

  /**
   * One container: credential-looking env values (and credentials inside other env values),
   * its command line (`command` then `args`, as one line: see argvEdits), the command lines of
   * its exec probes and lifecycle hooks and the credential headers of their HTTP checks, and
   * the userinfo of its image reference.
   */
  #container(container: unknown): unknown {
    if (!isRecord(container)) return container;
    let out = container;
    if (Array.isArray(container.env)) {
      const env = mapSame(container.env, (e) => {
        if (!isRecord(e) || e.value === undefined || e.value === null) return e;
        const value = this.#named(e.name, e.value);
        return value === e.value ? e : { ...e, value };
      });
      if (env !== container.env) out = { ...out, env };
    }
    out = this.#commandLine(out, ["command", "args"], imageProgram(out.image));
    for (const probe of PROBES) {
      const p = out[probe];
      if (!isRecord(p)) continue;
      const next = this.#handler(p);
      if (next !== p) out = { ...out, [probe]: next };
    }
    const lifecycle = out.lifecycle;
    if (isRecord(lifecycle)) {
      let hooks = lifecycle;
      for (const hook of HOOKS) {
        const h = hooks[hook];
        if (!isRecord(h)) continue;
        const next = this.#handler(h);
        if (next !== h) hooks = { ...hooks, [hook]: next };
      }
      if (hooks !== lifecycle) out = { ...out, lifecycle: hooks };
    }
    if (typeof out.image === "string") {
      const image = this.imageRef(out.image);
      if (image !== out.image) out = { ...out, image };
    }
    return out;
  }

  /**
   * A value under a name (an env variable, a header, an annotation, a ConfigMap key): whole
   * when the name looks like a credential or the value is a URL with a password, else with
   * what credentialSpans finds in it replaced.
   */
  #named(name: unknown, value: unknown): unknown {
    if (
      (typeof name === "string" && CREDENTIAL_NAME.test(name)) ||
      (typeof value === "string" && URL_WITH_PASSWORD.test(value))
    )
      return this.#redact(value, false);
    return typeof value === "string" ? this.#edit(value, textEdits(value)) : value;
  }

  /** A probe or lifecycle hook: its `exec.command`, and the headers, path and host of its `httpGet`. */
  #handler(handler: Record<string, unknown>): Record<string, unknown> {
    let out = handler;
    const exec = handler.exec;
    if (isRecord(exec)) {
      const next = this.#commandLine(exec, ["command"], undefined);
      if (next !== exec) out = { ...out, exec: next };
    }
    const http = handler.httpGet;
    if (isRecord(http)) {
      let next = http;
      if (Array.isArray(http.httpHeaders)) {
        const headers = mapSame(http.httpHeaders, (h) => {
          if (!isRecord(h) || h.value === undefined || h.value === null) return h;
          const value = this.#named(h.name, h.value);
          return value === h.value ? h : { ...h, value };
        });
        if (headers !== http.httpHeaders) next = { ...next, httpHeaders: headers };
      }
      for (const field of ["path", "host"] as const) {
        const v = next[field];
        if (typeof v !== "string") continue;
        const redacted = this.#edit(v, textEdits(v));
        if (redacted !== v) next = { ...next, [field]: redacted };
      }
      if (next !== http) out = { ...out, httpGet: next };
    }
    return out;
  }

  /**
   * The lists `fields` of `object` (`command`, then `args`) as one command line, redacted by
   * argvEdits; `program`: what runs when the line does not say (the image's program, when
   * there is no `command`).
   */
  #commandLine(
    object: Record<string, unknown>,
    fields: readonly string[],
    program: string | undefined,
  ): Record<string, unknown> {
    const lists = fields.map((f) => {
      const v = object[f];
      return Array.isArray(v) ? (v as unknown[]) : [];
    });
    if (lists.reduce((n, list) => n + list.length, 0) > MAX_COMMAND_LINE_ITEMS) {
      let out = object;
      fields.forEach((field, k) => {
        if (lists[k]!.length > 0) out = { ...out, [field]: [TOO_LONG] };
      });
      this.#count += 1;
      return out;
    }
    const edits = argvEdits(lists.flat(), lists[0]!.length > 0 ? undefined : program);
    if (edits.size === 0) return object;
    let out = object;
    let offset = 0;
    fields.forEach((field, k) => {
      const list = lists[k]!;
      const at = offset;
      offset += list.length;
      const next = mapSame(list, (a, i) => this.#item(a, edits.get(at + i)));
      if (next !== list) out = { ...out, [field]: next };
    });
    return out;
  }

  /** One item of a command line with its edits applied. */
  #item(item: unknown, edits: ItemEdits | undefined): unknown {
    if (edits === undefined) return item;
    if (edits === "whole") return item === "" ? item : this.#redact(item, false);
    return typeof item === "string" ? this.#edit(item, edits) : item;
  }

  /**
   * `text` with each edit's secrets replaced by their markers; where edits overlap the first
   * wins (the secrets of the others are still remembered for masking). The same string when
   * there is no edit.
   */
  #edit(text: string, edits: readonly Edit[]): string {
    if (edits.length === 0) return text;
    let out = "";
    let at = 0;
    for (const e of [...edits].sort((a, b) => a.start - b.start || b.end - a.end)) {
      if (e.start < at) {
        for (const p of e.parts) if (typeof p !== "string") this.#remember(p.secret, this.marker(p.secret));
        continue;
      }
      out += text.slice(at, e.start);
      for (const p of e.parts) out += typeof p === "string" ? p : this.#redact(p.secret, false);
      at = e.end;
    }
    return out + text.slice(at);
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
