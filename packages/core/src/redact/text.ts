/**
 * Credentials inside free text: an argument, a shell word, an env value, an annotation, a
 * ConfigMap value. Each rule finds the secret part of a string, so the rest (the flag, the URL's
 * host, the header's name) stays readable. Pure; redact.ts replaces what these find.
 */
import { CREDENTIAL_NAME } from "./rules.js";

/** A part of a string, [start, end), that is secret. */
export interface Span {
  start: number;
  end: number;
}

// Each pattern finds only a bounded lead-in (a name and its separator); the value's extent is
// measured by hand from there, so hostile text costs linear time.

/** `scheme://`: what follows, up to the last `@` of the authority, is userinfo. */
const SCHEME = /(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,31}:\/\//g;
/** `name=` (`PGPASSWORD=x`, `-Dspring.datasource.password=x`, `?access_token=x&`, `;Pwd=x;`). */
const ASSIGNMENT = /(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]{1,256})=/g;
/** A line starting `name:` or `name =` (a header, YAML, INI, an env file). */
const LINE = /^[ \t]*["']?([A-Za-z0-9_.-]{1,256})["']?[ \t]*[:=][ \t]*/gm;
/** `Name:` inside a longer string (`http.extraHeader=Authorization: Basic x`). */
const HEADER = /(?<![A-Za-z0-9_-])([A-Za-z0-9-]{1,256})[ \t]*:([ \t]*)/g;
/** An authorization scheme before its credentials (`Authorization: Basic <credentials>`): kept. */
const AUTH_SCHEME = /^(?:Bearer|Basic|Digest|Token|Negotiate|NTLM|AWS4-HMAC-SHA256|ApiKey)[ \t]+/i;
/** Header names whose value is a credential even with no space after the colon. */
const HEADER_NAMES = /^(?:proxy-)?authorization$|^cookie$/i;
/** A JSON member `"name": "`. */
const JSON_MEMBER = /"([^"\\]{1,256})"\s{0,64}:\s{0,64}"/g;
/** `Bearer ` anywhere. */
const BEARER = /\bBearer\s{1,64}/gi;
/** SQL: `PASSWORD '`, `PASSWORD = '`, `IDENTIFIED BY '`, `IDENTIFIED WITH plugin BY '`. */
const SQL_PASSWORD =
  /\b(?:PASSWORD|IDENTIFIED\b[^;']{0,256}?\bBY)\s{0,64}(?:=\s{0,64})?(?:PASSWORD\s{0,64}\(\s{0,64})?'/gi;
/** A PEM private key, to its END line (or to the end of the text when there is none). */
const PRIVATE_KEY = /-----BEGIN ([A-Z0-9 ]{0,64})PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g;

/**
 * A word every name that CREDENTIAL_NAME accepts contains (and SQL's PASSWORD): text without
 * one holds no credential-named assignment, line, header or member, so those rules are skipped.
 */
const CREDENTIAL_WORD = /pass|pw|secret|token|key|cred|auth|cookie|dsn|conn|identified/i;

/** Userinfo without a colon at least this long is a token (`https://ghp_…@github.com`), not a user name (`git@`). */
const TOKEN_USERINFO = 16;
/** The authority of a URL is looked for within this many characters. */
const MAX_AUTHORITY = 1024;

/**
 * The secret parts of a string, merged and in order: URL passwords and token userinfo, the
 * values of credential-named assignments (`name=value`), lines (`name: value`), headers and
 * JSON members, bearer tokens, SQL passwords and PEM private keys. Names are credential-named
 * by CREDENTIAL_NAME. Over-matching hides a value that was not secret, nothing more. Never throws.
 */
export function credentialSpans(text: string): Span[] {
  const spans: Span[] = [];
  /** Marks [start, end) secret; returns end. */
  const secret = (start: number, end: number) => {
    if (end > start) spans.push({ start, end });
    return end;
  };
  /**
   * Runs `re`; for each match `value(m, from)` marks what is secret and returns where the
   * search goes on (-1: right after the match).
   */
  const rule = (re: RegExp, value: (m: RegExpExecArray, from: number) => number) => {
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const from = m.index + m[0].length;
      const next = value(m, from);
      if (next > from) re.lastIndex = next;
      else if (m[0] === "") re.lastIndex++;
    }
  };
  const named = (m: RegExpExecArray) => CREDENTIAL_NAME.test(m[1]!);
  /** The rest of the line from `from`, after an authorization scheme (`Bearer `) if there is one. */
  const line = (from: number) => {
    const end = until(text, from, /[\r\n]/g);
    const scheme = AUTH_SCHEME.exec(text.slice(from, Math.min(end, from + 64)));
    return scheme && from + scheme[0].length < end ? secret(from + scheme[0].length, end) : secret(from, end);
  };
  // Most strings (a flag, a path, a word of a script) hold nothing the rules look for: each
  // rule runs only when the text has what its match needs.
  if (text.includes("://"))
    rule(SCHEME, (_, from) => {
      const end = until(text, from, /[\s/?#]/g, from + MAX_AUTHORITY);
      const at = text.slice(from, end).lastIndexOf("@") + from;
      if (at < from) return -1;
      const colon = text.slice(from, at).indexOf(":") + from;
      if (colon >= from) secret(colon + 1, at);
      else if (at - from >= TOKEN_USERINFO) secret(from, at);
      return -1; // the host may hold more: keep searching right after the scheme
    });
  if (CREDENTIAL_WORD.test(text)) {
    rule(ASSIGNMENT, (m, from) => (named(m) ? secret(from, until(text, from, /[\s&;"']/g)) : -1));
    rule(LINE, (m, from) => (named(m) ? line(from) : -1));
    rule(HEADER, (m, from) => (named(m) && (m[2] !== "" || HEADER_NAMES.test(m[1]!)) ? line(from) : -1));
    rule(JSON_MEMBER, (m, from) => (named(m) ? secret(from, quoted(text, from, '"')) : -1));
    rule(SQL_PASSWORD, (_, from) => secret(from, quoted(text, from, "'")));
  }
  if (/bearer/i.test(text))
    rule(BEARER, (_, from) => secret(from, until(text, from, /[^A-Za-z0-9._~+/=-]/g)));
  if (text.includes("PRIVATE KEY-----")) {
    PRIVATE_KEY.lastIndex = 0;
    for (let m = PRIVATE_KEY.exec(text); m !== null; m = PRIVATE_KEY.exec(text))
      spans.push({ start: m.index, end: m.index + m[0].length });
  }
  return mergeSpans(spans);
}

/**
 * The index of the first character from `from` on that matches `stop` (a global pattern), or
 * the end, or `limit`: whichever comes first.
 */
function until(text: string, from: number, stop: RegExp, limit = text.length): number {
  const end = Math.min(limit, text.length);
  if (end < text.length) {
    // a bounded window: search a copy of it, not the rest of the text
    stop.lastIndex = 0;
    const found = stop.exec(text.slice(from, end));
    return found === null ? end : from + found.index;
  }
  stop.lastIndex = from;
  const found = stop.exec(text);
  return found === null ? end : found.index;
}

/** The index of the unescaped `quote` that ends a string starting at `from` (or the end). */
function quoted(text: string, from: number, quote: string): number {
  let end = from;
  while (end < text.length) {
    const c = text[end]!;
    if (c === "\\") end += 2;
    else if (c === quote && text[end + 1] === quote && quote === "'")
      end += 2; // SQL's ''
    else if (c === quote) return end;
    else end++;
  }
  return text.length;
}

/** Overlapping or touching spans joined, in order. */
export function mergeSpans(spans: readonly Span[]): Span[] {
  const sorted = spans.filter((s) => s.end > s.start).sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Span[] = [];
  for (const s of sorted) {
    const last = out.at(-1);
    if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else out.push({ ...s });
  }
  return out;
}
