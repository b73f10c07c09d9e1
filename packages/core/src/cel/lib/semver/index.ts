/**
 * Semantic versions (k8s.io/apiserver/pkg/cel/library/semverlib.go, version 1), parsed and
 * ordered like github.com/blang/semver/v4, which Kubernetes uses.
 */
import type { Environment } from "@marcbachmann/cel-js";
import type { FunctionDoc } from "../doc.js";
import { celError } from "../shared.js";

type PreRelease = bigint | string;

/** A semantic version: major.minor.patch, pre-release identifiers and build metadata. */
export class Semver {
  readonly celType = "kubernetes.Semver";

  constructor(
    readonly major: bigint,
    readonly minor: bigint,
    readonly patch: bigint,
    readonly pre: readonly PreRelease[] = [],
    readonly build: readonly string[] = [],
  ) {}

  /** Ordering by semver precedence; build metadata is ignored. */
  compareTo(other: Semver): -1 | 0 | 1 {
    for (const key of ["major", "minor", "patch"] as const) {
      if (this[key] !== other[key]) return this[key] < other[key] ? -1 : 1;
    }
    // A version without pre-release identifiers ranks above one with them.
    if (this.pre.length === 0 || other.pre.length === 0) {
      return this.pre.length === other.pre.length ? 0 : this.pre.length === 0 ? 1 : -1;
    }
    for (let i = 0; i < Math.min(this.pre.length, other.pre.length); i++) {
      const result = comparePreRelease(this.pre[i] as PreRelease, other.pre[i] as PreRelease);
      if (result !== 0) return result;
    }
    return this.pre.length === other.pre.length ? 0 : this.pre.length < other.pre.length ? -1 : 1;
  }

  equals(other: unknown): boolean {
    return other instanceof Semver && this.compareTo(other) === 0;
  }

  toString(): string {
    let text = `${this.major}.${this.minor}.${this.patch}`;
    if (this.pre.length > 0) text += `-${this.pre.join(".")}`;
    if (this.build.length > 0) text += `+${this.build.join(".")}`;
    return text;
  }
}

/** Numeric identifiers rank below alphanumeric ones. */
function comparePreRelease(a: PreRelease, b: PreRelease): -1 | 0 | 1 {
  if (typeof a === "bigint" && typeof b === "bigint") return a === b ? 0 : a < b ? -1 : 1;
  if (typeof a === "bigint") return -1;
  if (typeof b === "bigint") return 1;
  return a === b ? 0 : a < b ? -1 : 1;
}

const UINT64_MAX = 2n ** 64n - 1n;

function versionNumber(text: string, part: string): bigint {
  if (!/^[0-9]+$/.test(text))
    throw new Error(`Invalid character(s) found in ${part} number ${JSON.stringify(text)}`);
  if (text.length > 1 && text[0] === "0") {
    throw new Error(
      `${part[0]?.toUpperCase()}${part.slice(1)} number must not contain leading zeroes ${JSON.stringify(text)}`,
    );
  }
  const value = BigInt(text);
  if (value > UINT64_MAX) throw new Error(`${part} number out of range ${JSON.stringify(text)}`);
  return value;
}

/** blang/semver's Parse. Throws an Error with its message. */
function parseStrict(text: string): Semver {
  if (text === "") throw new Error("Version string empty");
  const parts = text.split(".");
  if (parts.length < 3) throw new Error("No Major.Minor.Patch elements found");
  const [majorText = "", minorText = ""] = parts;
  const rest = parts.slice(2).join(".");
  const major = versionNumber(majorText, "major");
  const minor = versionNumber(minorText, "minor");
  const preIndex = rest.indexOf("-");
  const buildIndex = rest.indexOf("+");
  const cut = [preIndex, buildIndex].filter((i) => i >= 0);
  const patchEnd = cut.length > 0 ? Math.min(...cut) : rest.length;
  const patch = versionNumber(rest.slice(0, patchEnd), "patch");
  const pre: PreRelease[] = [];
  if (preIndex >= 0 && (buildIndex < 0 || preIndex < buildIndex)) {
    const preText = rest.slice(preIndex + 1, buildIndex < 0 ? undefined : buildIndex);
    for (const id of preText.split(".")) {
      if (id === "") throw new Error("Prerelease is empty");
      if (/^[0-9]+$/.test(id)) {
        if (id.length > 1 && id[0] === "0") {
          throw new Error(`Numeric PreRelease version must not contain leading zeroes ${JSON.stringify(id)}`);
        }
        pre.push(BigInt(id));
      } else if (/^[0-9A-Za-z-]+$/.test(id)) pre.push(id);
      else throw new Error(`Invalid character(s) found in prerelease ${JSON.stringify(id)}`);
    }
  }
  const build: string[] = [];
  if (buildIndex >= 0) {
    for (const id of rest.slice(buildIndex + 1).split(".")) {
      if (id === "") throw new Error("Buildversion is empty");
      if (!/^[0-9A-Za-z-]+$/.test(id))
        throw new Error(`Invalid character(s) found in build meta data ${JSON.stringify(id)}`);
      build.push(id);
    }
  }
  return new Semver(major, minor, patch, pre, build);
}

/**
 * Kubernetes' normalizeAndParse: drops a leading "v", strips leading zeros from the numbers
 * and fills a missing minor or patch with 0.
 */
function parseNormalized(text: string): Semver {
  const parts = (text.startsWith("v") ? text.slice(1) : text).split(".");
  const fields = parts.length > 3 ? [...parts.slice(0, 2), parts.slice(2).join(".")] : parts;
  const cleaned = fields.map((part) => {
    if (part.length <= 1) return part;
    const trimmed = part.replace(/^0+/, "");
    return trimmed === "" || !/^[0-9]/.test(trimmed) ? `0${trimmed}` : trimmed;
  });
  if (cleaned.length < 3) {
    if (/[+-]/.test(cleaned[cleaned.length - 1] ?? "")) {
      throw new Error("short version cannot contain PreRelease/Build meta data");
    }
    while (cleaned.length < 3) cleaned.push("0");
  }
  return parseStrict(cleaned.join("."));
}

/** Parses a semantic version as Kubernetes' semver() does; throws a CEL error if it is not one. */
export function parseSemver(text: string, normalize = false): Semver {
  try {
    return normalize ? parseNormalized(text) : parseStrict(text);
  } catch (error) {
    throw celError((error as Error).message);
  }
}

function isSemver(text: string, normalize = false): boolean {
  try {
    parseSemver(text, normalize);
    return true;
  } catch {
    return false;
  }
}

/** Registers semver, isSemver and the Semver methods. */
export function registerSemverLibrary(env: Environment): void {
  const S = "kubernetes.Semver";
  env.registerType(S, Semver);
  env.registerOperator(`${S} == ${S}`, (a: Semver, b: Semver) => a.equals(b));
  env.registerFunction(`semver(string): ${S}`, (text: string) => parseSemver(text));
  env.registerFunction(`semver(string, bool): ${S}`, parseSemver);
  env.registerFunction("isSemver(string): bool", (text: string) => isSemver(text));
  env.registerFunction("isSemver(string, bool): bool", isSemver);
  env.registerFunction(`${S}.major(): int`, (v: Semver) => BigInt.asIntN(64, v.major));
  env.registerFunction(`${S}.minor(): int`, (v: Semver) => BigInt.asIntN(64, v.minor));
  env.registerFunction(`${S}.patch(): int`, (v: Semver) => BigInt.asIntN(64, v.patch));
  env.registerFunction(`${S}.isGreaterThan(${S}): bool`, (a: Semver, b: Semver) => a.compareTo(b) === 1);
  env.registerFunction(`${S}.isLessThan(${S}): bool`, (a: Semver, b: Semver) => a.compareTo(b) === -1);
  env.registerFunction(`${S}.compareTo(${S}): int`, (a: Semver, b: Semver) => BigInt(a.compareTo(b)));
}

export const semverFunctions: FunctionDoc[] = [
  {
    signature: "semver(<string>[, <bool>]) -> <Semver>",
    description:
      "Parses a semantic version (semver.org); invalid text is an error. With `true`, normalizes first: drops a leading 'v', strips leading zeros and fills a missing minor or patch with 0.",
    example: "semver('v1.0', true) == semver('1.0.0')",
    result: "true",
  },
  {
    signature: "isSemver(<string>[, <bool>]) -> <bool>",
    description: "True if `semver()` (with the same normalize flag) accepts the string.",
    example: "isSemver('v1.0')",
    result: "false",
  },
  {
    signature: "<Semver>.major() -> <int>",
    description: "The major version number.",
    example: "semver('1.2.3').major()",
    result: "1",
  },
  {
    signature: "<Semver>.minor() -> <int>",
    description: "The minor version number.",
    example: "semver('1.2.3').minor()",
    result: "2",
  },
  {
    signature: "<Semver>.patch() -> <int>",
    description: "The patch version number.",
    example: "semver('1.2.3').patch()",
    result: "3",
  },
  {
    signature: "<Semver>.isGreaterThan(<Semver>) -> <bool>",
    description: "True if the receiver has higher precedence (build metadata is ignored).",
    example: "semver('1.2.3').isGreaterThan(semver('1.2.3-rc.1'))",
    result: "true",
  },
  {
    signature: "<Semver>.isLessThan(<Semver>) -> <bool>",
    description: "True if the receiver has lower precedence.",
    example: "semver('1.0.0-alpha.1').isLessThan(semver('1.0.0-alpha.beta'))",
    result: "true",
  },
  {
    signature: "<Semver>.compareTo(<Semver>) -> <int>",
    description: "0 if equal in precedence, 1 if the receiver is greater, -1 if it is less.",
    example: "semver('1.2.3').compareTo(semver('2.0.0'))",
    result: "-1",
  },
];
