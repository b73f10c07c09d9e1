// The characters a policy's expression may not hold are also those terminal text never shows
// raw (util/printable.ts, report/format/text.ts's displayPath): three lists, held to one here.
import { describe, expect, it } from "vitest";
import { displayPath } from "../report/format/text.js";
import { printable } from "../util/printable.js";
import { hiddenCharacter } from "./hidden-characters.js";

const refused: number[] = [];
for (let cp = 0; cp <= 0xffff; cp++) {
  if (cp >= 0xd800 && cp <= 0xdfff) continue;
  if (hiddenCharacter(String.fromCharCode(cp))) refused.push(cp);
}

describe("hiddenCharacter", () => {
  it("finds the first one with its offset, and nothing in plain text of any script", () => {
    expect(hiddenCharacter("a == 'x\u202Ey' && '\u200B'")).toEqual({
      offset: 7,
      description: "U+202E RIGHT-TO-LEFT OVERRIDE",
    });
    expect(
      hiddenCharacter("name == 'שלום' || name == 'مرحبا' || name == '日本' || name == '🚀'"),
    ).toBeUndefined();
  });

  it("refuses only what terminal text escapes too", () => {
    expect(refused.length).toBeGreaterThanOrEqual(17);
    for (const cp of refused) {
      const char = String.fromCharCode(cp);
      expect(printable(`a${char}b`), char).not.toContain(char);
      expect(displayPath(`a${char}b.yaml`), char).not.toContain(char);
    }
  });
});
