/**
 * Generated source is built from the syntax tree's shape only: hostile field names, map keys,
 * string literals and variable names never appear in it, cannot end a string or a template, and
 * touch no global; they behave as the interpreter makes them behave.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_BUDGET } from "../budget.js";
import { celEnvironment, type ParsedExpression } from "../environment.js";
import { compileCel } from "./compile-cel.js";
import { outcomeDifference, runCounted } from "./differential.js";

const HOSTILE = [
  `"); globalThis.pwned = 1; ("`,
  "'); globalThis.pwned = 1; ('",
  "`; globalThis.pwned = 1; `",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template placeholder is the hostile text
  "${globalThis.pwned = 1}",
  "a\nglobalThis.pwned = 1\n",
  "a\u2028globalThis.pwned = 1\u2029",
  "*/ globalThis.pwned = 1; /*",
  "\\",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "</script>",
];

/** A CEL string literal with `text` escaped as CEL wants (so the parser reads `text` back). */
function celString(text: string): string {
  return `"${[...text]
    .map((c) => {
      if (c === '"' || c === "\\") return `\\${c}`;
      if (c === "\n") return "\\n";
      const code = c.codePointAt(0) ?? 0;
      return code > 0x7e || code < 0x20 ? `\\u${code.toString(16).padStart(4, "0")}` : c;
    })
    .join("")}"`;
}

function plain(entries: Record<string, unknown>): Record<string, unknown> {
  return Object.assign(Object.create(null), entries);
}

const object = plain(Object.fromEntries(HOSTILE.map((key, i) => [key, BigInt(i)])));
const activation = {
  object,
  params: plain({}),
  variables: plain({}),
  containers: [],
  images: [],
  bundle: [],
  context: plain({}),
  now: new Date(0),
};

/** What the source may contain besides generated names: the fixed words of the generator. */
const ALLOWED_STRINGS = new Set(['"use strict"', '"boolean"', '"string"', '"bigint"', '"number"']);

describe("hostile names and literals", () => {
  const env = celEnvironment();
  const expressions: string[] = [];
  for (const text of HOSTILE) {
    const literal = celString(text);
    expressions.push(
      literal,
      `${literal} + ${literal}`,
      `object[${literal}]`,
      `${literal} in object`,
      `object[?${literal}].orValue(-1)`,
      `{${literal}: 1}`,
      `{${literal}: 1}[${literal}]`,
      `[${literal}].map(x, x + ${literal})`,
      `object.exists(k, k == ${literal})`,
      `${literal}.startsWith(${literal}) && ${literal}.size() > 0`,
    );
  }
  expressions.push(
    "object.__proto__",
    "object.constructor",
    "has(object.__proto__)",
    "has(object.constructor)",
    "{'__proto__': 1, 'constructor': 2, 'a': 3}",
    "[1].all(constructor, constructor > 0)",
    "[1].map(hasOwnProperty, hasOwnProperty + 1)",
    "cel.bind(toString, 'x', toString + 'y')",
    "{'a': 1}.transformMap(constructor, valueOf, valueOf + 1)",
  );

  it.each(expressions)("%s", (source) => {
    const parsed = env.parse(source) as unknown as ParsedExpression;
    expect(parsed.check().valid).toBe(true);
    const compiled = compileCel(env, parsed.ast);
    if (!compiled.ok) throw new Error(compiled.reason);
    const globalsBefore = Object.getOwnPropertyNames(globalThis).sort();

    // no text of the expression is in the source: only generated names and fixed words
    for (const text of HOSTILE) expect(compiled.source.includes(text), text).toBe(false);
    expect(compiled.source).not.toMatch(/[`\u2028\u2029'\\]|\$\{|\/\*|\/\//);
    for (const quoted of compiled.source.match(/"[^"\n]*"/g) ?? []) expect(ALLOWED_STRINGS).toContain(quoted);
    for (const word of compiled.source.match(/[A-Za-z_$][\w$]*/g) ?? []) {
      expect(word).toMatch(
        /^(?:[krt]\d+|K|R|U|ev|act|e|a|b|use|strict|const|let|return|function|compiledCel|if|else|for|try|catch|throw|break|undefined|true|false|null|typeof|instanceof|Error|Array|isArray|BigInt|length|push|handle|matchesValueType|hasValue|value|boolean|unread|checkActivation|root|iterMismatch|range|field|inList|mapLiteral|optionalField|optionalValue|plain|string|bigint|number|has|logical|optional|twoVariable|charge|sized|while)$/,
      );
    }

    const interpreted = runCounted(parsed, activation, DEFAULT_BUDGET);
    const own = runCounted(compiled.run, activation, DEFAULT_BUDGET);
    expect(outcomeDifference(interpreted, own)).toBeUndefined();
    expect((globalThis as { pwned?: unknown }).pwned).toBeUndefined();
    expect(({} as { pwned?: unknown }).pwned).toBeUndefined();
    expect(Object.getOwnPropertyNames(globalThis).sort()).toEqual(globalsBefore);
  });
});
