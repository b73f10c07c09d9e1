/**
 * The pieces of CEL's grammar that cel-js 8.0.0 does not parse and Kubernetes' cel-go does,
 * owned by celgate:
 *
 * - optional list elements and map entries (cel.OptionalTypes, Kubernetes 1.28+): `[a, ?b]`
 *   holds `b`'s value only when the optional `b` has one, `{'k': v, ?'k2': o}` holds `k2` only
 *   when `o` has a value (and an entry without a value removes an earlier one of the same key);
 * - a double literal without a leading digit (`.5`, `.5e3`);
 * - raw bytes literals (`br'\d'`, `bR"..."`, `Br'''...'''`): bytes of the UTF-8 text, no escapes.
 *
 * and two pieces cel-js parses but reads differently from Kubernetes:
 *
 * - a bytes literal (`b'ÿ'`) holds the UTF-8 encoding of each character it writes, as in cel-go
 *   (cel-js stores one Latin-1 byte per character); its escapes stay the bytes they name;
 * - a backtick-quoted field name (`` m.`a-b` ``) is cel-go's "unsupported syntax '`'" error at
 *   the backtick: cel-go parses it only with cel.EnableIdentifierEscapeSyntax(), which
 *   Kubernetes' environment (1.34) does not enable.
 *
 * How: cel-js's parser is a recursive-descent parser whose list and map rules are methods of
 * the parser object (`parseList`, `parseMap`) and whose tokens come from a lexer object it
 * holds (`parser.lexer`). A macro's expander receives the parser; `installSyntax` reaches it
 * once that way (as hooks.ts reaches the evaluator) and gives that one parser its own list and
 * map rules and its own lexer, so every other cel-js rule, limit and error stays cel-js's and
 * every node keeps its exact source range. Optional literals remain `list` and `map` nodes
 * (as cel-go keeps them list and map expressions with optional indices); which elements are
 * optional is recorded here (`optionalPositions`), and the node's check and evaluate are
 * replaced by the ones below. The compiler (compile/codegen.ts) builds the same values through
 * the same helpers (`optionalElement`, `listOf`, `mapOf`).
 */
import { type Environment, EvaluationError, Optional, ParseError } from "@marcbachmann/cel-js";
import { celTypeName } from "../shared.js";

/** A cel-js syntax node, as far as this file reads and builds it. */
export interface SyntaxNode {
  op: string;
  args: unknown;
  pos: number;
  start: number;
  end: number;
  input: string;
  meta: { check: unknown; evaluate: unknown };
  setMeta(key: string, value: unknown): SyntaxNode;
  checkedType?: CheckedType;
}

/** A type as cel-js's checker returns it. */
interface CheckedType {
  kind: string;
  name: string;
  valueType?: CheckedType;
  unify(registry: unknown, other: CheckedType): CheckedType | undefined;
  isEmpty(): boolean;
}

interface Checker {
  check(node: unknown, ctx: unknown): CheckedType;
  dynType: CheckedType;
  opts: { homogeneousAggregateLiterals?: boolean };
  registry: {
    getListType(t: CheckedType): CheckedType;
    getMapType(k: CheckedType, v: CheckedType): CheckedType;
  };
  formatType(t: CheckedType): string;
  createError(code: string, message: string, node: unknown): Error;
}

interface Evaluator {
  run(node: unknown, ctx: unknown): unknown;
}

/** An operator as cel-js's node constructor takes it. */
interface NodeOp {
  name: string;
  check: unknown;
  evaluate: unknown;
}

type NodeConstructor = new (
  input: string,
  pos: number,
  start: number,
  end: number,
  op: NodeOp,
  args: unknown,
) => SyntaxNode;

/** The public state and methods of cel-js's parser that the owned rules use. */
interface Parser {
  lexer: Lexer;
  input: string;
  type: number;
  pos: number;
  astNodesRemaining: number;
  limits: { maxListElements: number; maxMapEntries: number; maxAstNodes: number };
  registry: { enableOptionalTypes?: boolean };
  match(type: number): boolean;
  consume(type: number): number;
  parseExpression(): SyntaxNode;
  parseList(): SyntaxNode;
  parseMap(): SyntaxNode;
}

interface Lexer {
  input: string;
  pos: number;
  tokenPos: number;
  tokenType: number;
  tokenValue: unknown;
  reset(input: string): string;
  nextToken(): Lexer;
  token(pos: number, type: number, value?: unknown): Lexer;
  readNumber(): Lexer;
  readString(delimiter: string, prefix?: string): Lexer;
}

/** The token kinds the owned rules read, learnt from cel-js's lexer (its numbering is internal). */
interface Tokens {
  dot: number;
  identifier: number;
  bytes: number;
  question: number;
  comma: number;
  colon: number;
  lbracket: number;
  rbracket: number;
  lbrace: number;
  rbrace: number;
}

/** Which elements of a list literal, or entries of a map literal, are optional (`?`). */
const optionalLiterals = new WeakMap<object, ReadonlySet<number>>();

/**
 * The positions of the optional elements (list) or entries (map) of a literal node, or
 * undefined for a node that has none. Never throws.
 */
export function optionalPositions(node: unknown): ReadonlySet<number> | undefined {
  return typeof node === "object" && node !== null ? optionalLiterals.get(node) : undefined;
}

/** Marks an optional element or entry whose optional is empty: it is left out. */
export const OMITTED: unique symbol = Symbol("celgate.omitted");

/** A value in an error message: a scalar as written, anything else by its CEL type. */
function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || typeof value !== "object") return String(value);
  return `of type ${celTypeName(value)}`;
}

/**
 * The value an optional element or entry contributes: the optional's value, or OMITTED when
 * it has none. Throws, as cel-go does at run time, when the value is not an optional (possible
 * only for a dyn operand: the type check refuses any other non-optional type). `key` is the
 * map entry's key, undefined for a list element.
 */
export function optionalElement(value: unknown, node: unknown, key?: unknown): unknown {
  if (value instanceof Optional) return value.hasValue() ? value.value() : OMITTED;
  const message =
    key === undefined
      ? `cannot initialize optional list element from non-optional value ${describe(value)}`
      : `cannot initialize optional entry ${describe(key)} from non-optional value ${describe(value)}`;
  throw new EvaluationError(message, node as never);
}

/** A list literal's value from its element values in order, leaving out OMITTED ones. */
export function listOf(values: readonly unknown[]): unknown[] {
  return values.filter((v) => v !== OMITTED);
}

/**
 * A map literal's value from its entries in order, as cel-js builds map literals (a plain
 * object; `__proto__`, `constructor` and `prototype` keys are dropped, as cel-js drops them).
 * A later entry replaces an earlier one with the same key; an OMITTED entry removes it, as in
 * cel-go.
 */
export function mapOf(entries: readonly (readonly [unknown, unknown])[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) {
    if (k === "__proto__" || k === "constructor" || k === "prototype") continue;
    const key = k as string;
    if (v === OMITTED) delete out[key];
    else out[key] = v;
  }
  return out;
}

/** The type an element contributes: `T` of `optional<T>` at an optional position; throws for a non-optional. */
function elementType(chk: Checker, node: SyntaxNode, type: CheckedType, optional: boolean): CheckedType {
  if (!optional) return type;
  if (type.kind === "optional" && type.valueType) return type.valueType;
  if (type.kind === "dyn") return type;
  const shown = chk.formatType(type);
  // the caret stands under the element (or entry value) that should be optional
  throw chk.createError("type_mismatch", `expected type 'optional<${shown}>' but found '${shown}'`, {
    input: node.input,
    pos: node.start,
    start: node.start,
    end: node.end,
  });
}

/** Joins element types as cel-js's list and map checks do (unify, or homogeneous when configured). */
function joinTypes(
  chk: Checker,
  expected: CheckedType | undefined,
  type: CheckedType,
  node: SyntaxNode,
  what: string,
): CheckedType {
  if (!expected) return type;
  if (chk.opts.homogeneousAggregateLiterals) {
    if (type === expected || expected.isEmpty()) return type;
    if (type.isEmpty()) return expected;
    throw chk.createError(
      `heterogeneous_${what}`,
      `${what.replace("_", " ")} uses wrong type, expected type '${chk.formatType(expected)}' but found '${chk.formatType(type)}'`,
      node,
    );
  }
  return expected.unify(chk.registry, type) ?? chk.dynType;
}

/** `list` node with optional elements: cel-go's checkCreateList. */
function checkOptionalList(chk: Checker, ast: SyntaxNode, ctx: unknown): CheckedType {
  const elements = ast.args as SyntaxNode[];
  const optional = optionalPositions(ast) ?? new Set<number>();
  let valueType: CheckedType | undefined;
  elements.forEach((element, i) => {
    const type = elementType(chk, element, chk.check(element, ctx), optional.has(i));
    valueType = joinTypes(chk, valueType, type, element, "list_element");
  });
  return chk.registry.getListType(valueType ?? chk.dynType);
}

/** `map` node with optional entries: cel-go's checkCreateMap. */
function checkOptionalMap(chk: Checker, ast: SyntaxNode, ctx: unknown): CheckedType {
  const entries = ast.args as [SyntaxNode, SyntaxNode][];
  const optional = optionalPositions(ast) ?? new Set<number>();
  let keyType: CheckedType | undefined;
  let valueType: CheckedType | undefined;
  entries.forEach(([key, value], i) => {
    keyType = joinTypes(chk, keyType, chk.check(key, ctx), key, "map_key");
    const type = elementType(chk, value, chk.check(value, ctx), optional.has(i));
    valueType = joinTypes(chk, valueType, type, value, "map_value");
  });
  return chk.registry.getMapType(keyType ?? chk.dynType, valueType ?? chk.dynType);
}

function synchronous(value: unknown): unknown {
  if (value instanceof Promise)
    throw new EvaluationError("optional literals do not take asynchronous values");
  return value;
}

/** Evaluates a list with optional elements, left to right as cel-go does; the first error wins. */
function evaluateOptionalList(ev: Evaluator, ast: SyntaxNode, ctx: unknown): unknown {
  const optional = optionalPositions(ast);
  const values = (ast.args as SyntaxNode[]).map((element, i) => {
    const value = synchronous(ev.run(element, ctx));
    return optional?.has(i) ? optionalElement(value, element) : value;
  });
  return listOf(values);
}

/** Evaluates a map with optional entries, key then value, entry by entry, as cel-go does. */
function evaluateOptionalMap(ev: Evaluator, ast: SyntaxNode, ctx: unknown): unknown {
  const optional = optionalPositions(ast);
  const entries = (ast.args as [SyntaxNode, SyntaxNode][]).map(([keyNode, valueNode], i) => {
    const key = synchronous(ev.run(keyNode, ctx));
    const value = synchronous(ev.run(valueNode, ctx));
    return [key, optional?.has(i) ? optionalElement(value, valueNode, key) : value] as const;
  });
  return mapOf(entries);
}

function limitExceeded(parser: Parser, limit: keyof Parser["limits"], pos: number): never {
  throw new ParseError({
    code: "limit_exceeded",
    message: `Exceeded ${limit} (${parser.limits[limit]})`,
    node: { pos, start: pos, end: pos, input: parser.input },
  } as never);
}

/** What the owned parser rules need from the environment, learnt once in installSyntax. */
interface Grammar {
  tokens: Tokens;
  Node: NodeConstructor;
  list: NodeOp;
  map: NodeOp;
}

function makeNode(parser: Parser, grammar: Grammar, start: number, end: number, op: NodeOp, args: unknown) {
  const node = new grammar.Node(parser.input, start, start, end, op, args);
  if (!parser.astNodesRemaining--) limitExceeded(parser, "maxAstNodes", start);
  return node;
}

/** Consumes a `?` before an element, entry or key, where optional syntax is on. */
function optionalMark(parser: Parser, grammar: Grammar): boolean {
  if (!parser.registry.enableOptionalTypes || !parser.match(grammar.tokens.question)) return false;
  parser.consume(grammar.tokens.question);
  return true;
}

/** `'[' (['?'] Expression (',' ['?'] Expression)* ','?)? ']'`: cel-js's list rule plus cel-go's `?`. */
function parseList(this: Parser, grammar: Grammar): SyntaxNode {
  const { tokens } = grammar;
  const start = this.consume(tokens.lbracket);
  const elements: SyntaxNode[] = [];
  const optional = new Set<number>();
  let remaining = this.limits.maxListElements;
  const element = (): void => {
    if (optionalMark(this, grammar)) optional.add(elements.length);
    const node = this.parseExpression();
    elements.push(node);
    if (!remaining--) limitExceeded(this, "maxListElements", node.pos);
  };
  if (!this.match(tokens.rbracket)) {
    element();
    while (this.match(tokens.comma)) {
      this.consume(tokens.comma);
      if (this.match(tokens.rbracket)) break;
      element();
    }
  }
  const end = this.lexer.pos;
  this.consume(tokens.rbracket);
  if (optional.size === 0) return makeNode(this, grammar, start, end, grammar.list, elements);
  const node = makeNode(
    this,
    grammar,
    start,
    end,
    { name: grammar.list.name, check: checkOptionalList, evaluate: evaluateOptionalList },
    elements,
  );
  optionalLiterals.set(node, optional);
  return node;
}

/** `'{' (['?'] Expression ':' Expression (',' ...)* ','?)? '}'`: cel-js's map rule plus cel-go's `?`. */
function parseMap(this: Parser, grammar: Grammar): SyntaxNode {
  const { tokens } = grammar;
  const start = this.consume(tokens.lbrace);
  const entries: [SyntaxNode, SyntaxNode][] = [];
  const optional = new Set<number>();
  let remaining = this.limits.maxMapEntries;
  const entry = (): void => {
    if (optionalMark(this, grammar)) optional.add(entries.length);
    const key = this.parseExpression();
    this.consume(tokens.colon);
    entries.push([key, this.parseExpression()]);
    if (!remaining--) limitExceeded(this, "maxMapEntries", key.pos);
  };
  if (!this.match(tokens.rbrace)) {
    entry();
    while (this.match(tokens.comma)) {
      this.consume(tokens.comma);
      if (this.match(tokens.rbrace)) break;
      entry();
    }
  }
  const end = this.lexer.pos;
  this.consume(tokens.rbrace);
  if (optional.size === 0) return makeNode(this, grammar, start, end, grammar.map, entries);
  const node = makeNode(
    this,
    grammar,
    start,
    end,
    { name: grammar.map.name, check: checkOptionalMap, evaluate: evaluateOptionalMap },
    entries,
  );
  optionalLiterals.set(node, optional);
  return node;
}

const RAW_BYTES_PREFIX = new Set(["br", "bR", "Br", "BR"]);
const utf8 = new TextEncoder();

/** The byte of each single-character escape CEL allows in a string or bytes literal (`\n` is 10). */
const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  "\\": 0x5c,
  "?": 0x3f,
  '"': 0x22,
  "'": 0x27,
  "`": 0x60,
  a: 0x07,
  b: 0x08,
  f: 0x0c,
  n: 0x0a,
  r: 0x0d,
  t: 0x09,
  v: 0x0b,
};

/**
 * The bytes of a (non-raw) bytes literal from its source text between the quotes, as cel-go's
 * unescape gives them: a character as written is its UTF-8 encoding (`b'ÿ'` is [0xc3, 0xbf]),
 * an escape is the one byte it names (`\xff`, `\377`: [0xff]; `\n`: [0x0a]). cel-js's lexer has
 * validated the escapes already (and reported a wrong one at its position); a backslash that
 * reaches here unrecognised is an internal error, never a silently dropped byte.
 */
function bytesLiteral(text: string): Uint8Array {
  const out: number[] = [];
  const plain = (from: number, to: number): void => {
    if (to > from) for (const byte of utf8.encode(text.slice(from, to))) out.push(byte);
  };
  let from = 0;
  let at = text.indexOf("\\");
  while (at !== -1) {
    plain(from, at);
    const ch = text[at + 1] ?? "";
    const simple = SIMPLE_ESCAPES[ch];
    let next: number;
    if (simple !== undefined) {
      out.push(simple);
      next = at + 2;
    } else if ((ch === "x" || ch === "X") && /^[0-9a-fA-F]{2}$/.test(text.slice(at + 2, at + 4))) {
      out.push(Number.parseInt(text.slice(at + 2, at + 4), 16));
      next = at + 4;
    } else if (/^[0-3][0-7]{2}$/.test(text.slice(at + 1, at + 4))) {
      out.push(Number.parseInt(text.slice(at + 1, at + 4), 8));
      next = at + 4;
    } else {
      throw new Error(`celgate: unexpected escape '\\${ch}' in a bytes literal`);
    }
    from = next;
    at = text.indexOf("\\", next);
  }
  plain(from, text.length);
  return Uint8Array.from(out);
}

/** The text between the quotes of a string literal `quoted` (single or triple quotes, as read by cel-js). */
function unquoted(quoted: string): string {
  const quote = quoted[0] ?? "";
  const triple = quoted.length >= 6 && quoted.startsWith(quote.repeat(3));
  return triple ? quoted.slice(3, -3) : quoted.slice(1, -1);
}

function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= "0" && ch <= "9";
}

/**
 * A lexer of cel-js's class whose `nextToken` also reads `.5` as a double (cel-go's NUM_FLOAT
 * `'.' DIGIT+ EXPONENT?`) and `br'...'` as raw bytes (BYTES `[bB] STRING` with a raw STRING).
 */
function ownLexer(base: Lexer, tokens: Tokens): Lexer {
  const lexer = new (base.constructor as new () => Lexer)();
  const nextToken = lexer.nextToken;
  lexer.nextToken = function ownNextToken(this: Lexer): Lexer {
    let token: Lexer;
    try {
      token = nextToken.call(this);
    } catch (error) {
      throw backtickError(error, this.input) ?? error;
    }
    const at = token.tokenPos;
    if (token.tokenType === tokens.dot && isDigit(this.input[at + 1])) {
      this.pos = at;
      return this.readNumber();
    }
    if (token.tokenType === tokens.bytes) {
      // b'...': cel-js stores each character as one byte (Latin-1); cel-go stores its UTF-8
      // encoding, so the bytes are decoded again from the source text (`at` is the `b`)
      return this.token(at, tokens.bytes, bytesLiteral(unquoted(this.input.slice(at + 1, this.pos))));
    }
    if (token.tokenType === tokens.identifier && RAW_BYTES_PREFIX.has(token.tokenValue as string)) {
      const quote = this.input[this.pos];
      if (quote === '"' || quote === "'") {
        const raw = this.readString(quote, "r").tokenValue as string;
        return this.token(at, tokens.bytes, utf8.encode(raw));
      }
    }
    return token;
  };
  return lexer;
}

/**
 * What Kubernetes reports for a backtick-quoted field name (`` m.`content-type` ``): cel-go
 * parses one only with cel.EnableIdentifierEscapeSyntax(), which Kubernetes' CEL environment
 * (1.34) does not enable, so its parser reports "unsupported syntax '`'" at the backtick. The
 * error replaces cel-js's "Unexpected character" for a backtick, at the same position; any
 * other error is left as it is (undefined).
 */
function backtickError(error: unknown, input: string): ParseError | undefined {
  if (!(error instanceof ParseError) || error.code !== "unexpected_character") return undefined;
  const pos = (error.node as { pos?: unknown } | undefined)?.pos;
  if (typeof pos !== "number" || input[pos] !== "`") return undefined;
  return new ParseError({
    code: "unsupported_syntax",
    message: `unsupported syntax '\`': ${BACKTICK_HINT}`,
    node: { pos, start: pos, end: pos + 1, input },
  } as never);
}

/** Why a backtick-quoted field name is refused, and what to write instead. */
const BACKTICK_HINT =
  "backtick-quoted field names are not enabled in Kubernetes' CEL environment (1.34); select the key with an index instead (m['content-type'], and 'content-type' in m for has())";

/** The kind of the first token of `text`, read by a fresh lexer of cel-js's class. */
function tokenKind(base: Lexer, text: string): number {
  const probe = new (base.constructor as new () => Lexer)();
  probe.reset(text);
  return probe.nextToken().tokenType;
}

const installed = new WeakSet<Environment>();

/** Where the expander below reports the parser it was called by, while installSyntax listens. */
let reaching: ((parser: Parser, node: SyntaxNode) => void) | undefined;

const PARSER_MACRO = "__celgateParser(ast): bool";

/** The expander of the internal macro through which installSyntax reaches a parser; never usable in a policy. */
function parserMacro({ parser, ast }: { parser: Parser; ast: SyntaxNode }) {
  reaching?.(parser, ast);
  return {
    typeCheck(chk: Checker) {
      throw chk.createError("unknown_function", "__celgateParser is internal to celgate", ast);
    },
    evaluate() {
      throw new EvaluationError("__celgateParser is internal to celgate");
    },
  };
}

/** Parses the internal macro's call with `env`; the parser that expanded it, if the macro is declared. */
function reach(env: Environment): { parser: Parser; node: SyntaxNode } | undefined {
  let reached: { parser: Parser; node: SyntaxNode } | undefined;
  reaching = (parser, node) => {
    reached = { parser, node };
  };
  try {
    env.parse("__celgateParser(true)");
  } finally {
    reaching = undefined;
  }
  return reached;
}

/**
 * Gives `env`'s parser celgate's list and map rules and its lexer. Call once per Environment
 * (again for each clone: a clone has a parser of its own), before parsing anything else with
 * it. Throws if cel-js's internals changed so that the parser cannot be reached or its tokens
 * learnt.
 */
export function installSyntax(env: Environment): void {
  if (installed.has(env)) return;
  let reached = reach(env);
  if (!reached) {
    // a clone inherits the declaration from the environment it was cloned from
    env.registerFunction(PARSER_MACRO, parserMacro);
    reached = reach(env);
  }
  const list = (env.parse("[1]").ast as unknown as SyntaxNode).meta;
  const map = (env.parse("{1: 1}").ast as unknown as SyntaxNode).meta;
  if (!reached || typeof list.check !== "function" || typeof map.check !== "function") {
    throw new Error("celgate: cannot reach cel-js's parser to install celgate's syntax");
  }
  const { parser, node } = reached;
  if (typeof parser.parseList !== "function" || typeof parser.parseMap !== "function") {
    throw new Error("celgate: cel-js's parser has no list and map rules to replace");
  }
  const base = parser.lexer;
  const tokens: Tokens = {
    dot: tokenKind(base, "."),
    identifier: tokenKind(base, "x"),
    bytes: tokenKind(base, "b''"),
    question: tokenKind(base, "?"),
    comma: tokenKind(base, ","),
    colon: tokenKind(base, ":"),
    lbracket: tokenKind(base, "["),
    rbracket: tokenKind(base, "]"),
    lbrace: tokenKind(base, "{"),
    rbrace: tokenKind(base, "}"),
  };
  if (new Set(Object.values(tokens)).size !== Object.keys(tokens).length) {
    throw new Error("celgate: cannot tell cel-js's tokens apart to install celgate's syntax");
  }
  const grammar: Grammar = {
    tokens,
    Node: node.constructor as NodeConstructor,
    list: { name: "list", check: list.check, evaluate: list.evaluate },
    map: { name: "map", check: map.check, evaluate: map.evaluate },
  };
  parser.lexer = ownLexer(base, tokens);
  parser.parseList = function ownParseList(this: Parser) {
    return parseList.call(this, grammar);
  };
  parser.parseMap = function ownParseMap(this: Parser) {
    return parseMap.call(this, grammar);
  };
  selfTest(env);
  installed.add(env);
}

/** Parses each owned construct once with `env`; throws if the owned rules are not the ones in use. */
function selfTest(env: Environment): void {
  const list = env.parse("[?a, .5]").ast as unknown as SyntaxNode;
  const map = env.parse("{?a: br'x', 1: b'\u00ff'}").ast as unknown as SyntaxNode;
  const [, half] = list.args as SyntaxNode[];
  const [[, bytes] = [], [, utf8Bytes] = []] = map.args as SyntaxNode[][];
  if (
    !optionalPositions(list)?.has(0) ||
    !optionalPositions(map)?.has(0) ||
    half?.args !== 0.5 ||
    !(bytes?.args instanceof Uint8Array) ||
    !(utf8Bytes?.args instanceof Uint8Array && utf8Bytes.args.length === 2)
  ) {
    throw new Error("celgate: cel-js's parser does not use celgate's syntax rules");
  }
}
