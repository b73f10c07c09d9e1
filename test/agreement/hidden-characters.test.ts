// Two places name the characters that make text read otherwise than it is: the engine refuses
// them in a policy's expressions (core, cel/hidden-characters.ts) and the console marks them
// wherever it shows data (web, lib/invisible.ts, which may not load the engine on every page).
// These tests hold the two to one account: every character the engine refuses, the console
// marks, under the same name.
import { describe, expect, it } from "vitest";
import { codePointLabel, hasInvisible } from "../../apps/web/src/lib/invisible.js";
import { hiddenCharacter } from "../../packages/core/src/cel/hidden-characters.js";

const refused: number[] = [];
for (let cp = 0; cp <= 0xffff; cp++) {
  if (cp >= 0xd800 && cp <= 0xdfff) continue;
  if (hiddenCharacter(String.fromCharCode(cp))) refused.push(cp);
}

describe("hidden characters: the engine and the console", () => {
  it("the engine refuses the bidirectional controls and the zero-width characters", () => {
    for (const cp of [0x202e, 0x2066, 0x2069, 0x200b, 0x200f, 0xfeff]) expect(refused).toContain(cp);
    expect(refused.length).toBeGreaterThanOrEqual(17);
  });

  it("the console marks every character the engine refuses, under the same name", () => {
    for (const cp of refused) {
      const char = String.fromCharCode(cp);
      // a joiner between two pictographs is part of an emoji to the console: alone it is marked
      expect(hasInvisible(`a${char}b`), char).toBe(true);
      expect(hiddenCharacter(char)?.description).toBe(codePointLabel(cp));
    }
  });
});
