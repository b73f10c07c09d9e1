import { describe, expect, it } from "vitest";
import { docCheckExpression, evalCel, evalError } from "../test-env.js";
import { parseSemver, semverFunctions } from "./index.js";

describe("semver library", () => {
  it("gives every documented result", () => {
    for (const doc of semverFunctions) expect(evalCel(docCheckExpression(doc)), doc.example).toBe(true);
  });

  // k8s.io/apiserver/pkg/cel/library/semverlib.go documentation and semver_test.go
  it.each([
    ["isSemver('1.0.0')", true],
    ["isSemver('0.1.0-alpha.1')", true],
    ["isSemver('1.0.0+build.1-x')", true],
    ["isSemver('hello')", false],
    ["isSemver('v1.0')", false],
    ["isSemver('v1.0', true)", true],
    ["isSemver('1.0', true)", true],
    ["isSemver('01.01.01', true)", true],
    ["isSemver('01.01.01')", false],
    ["isSemver('1.0.0-01')", false],
    ["isSemver('1.0.0-')", false],
    ["isSemver('1.0.0+')", false],
    ["isSemver('1.0.0-a_b')", false],
    ["isSemver('1.0-beta', true)", false],
    ["isSemver('200K')", false],
    ["isSemver('Three')", false],
    ["isSemver('Mi')", false],
    ["semver('v1.0.0', true) == semver('1.0.0')", true],
    ["semver('1.0', true) == semver('1.0.0')", true],
    ["semver('01.01.01', true) == semver('1.1.1')", true],
    ["semver('1.2.3').major()", 1n],
    ["semver('1.2.3').minor()", 2n],
    ["semver('1.2.3').patch()", 3n],
    ["semver('1.2.3').compareTo(semver('1.2.3'))", 0n],
    ["semver('1.2.3').compareTo(semver('2.0.0'))", -1n],
    ["semver('1.2.3').compareTo(semver('0.1.2'))", 1n],
    ["semver('1.2.3').isGreaterThan(semver('1.2.2'))", true],
    ["semver('1.2.3').isLessThan(semver('1.2.4'))", true],
    ["semver('1.0.0+build1') == semver('1.0.0+build2')", true],
    ["semver('1.0.0-rc.1') == semver('1.0.0')", false],
  ])("%s", (expression, expected) => {
    expect(evalCel(expression)).toEqual(expected);
  });

  it("orders pre-releases as semver.org specifies", () => {
    const order = [
      "1.0.0-alpha",
      "1.0.0-alpha.1",
      "1.0.0-alpha.beta",
      "1.0.0-beta",
      "1.0.0-beta.2",
      "1.0.0-beta.11",
      "1.0.0-rc.1",
      "1.0.0",
    ];
    for (let i = 1; i < order.length; i++) {
      expect(parseSemver(order[i - 1] as string).compareTo(parseSemver(order[i] as string))).toBe(-1);
    }
  });

  it("reports blang/semver's messages", () => {
    expect(evalError("semver('200K')")).toBe("No Major.Minor.Patch elements found");
    expect(evalError("semver('')")).toBe("Version string empty");
    expect(evalError("semver('1.0.x')")).toBe('Invalid character(s) found in patch number "x"');
    expect(evalError("semver('01.0.0')")).toBe('Major number must not contain leading zeroes "01"');
    expect(evalError("semver('1.0-rc', true)")).toBe(
      "short version cannot contain PreRelease/Build meta data",
    );
  });
});
