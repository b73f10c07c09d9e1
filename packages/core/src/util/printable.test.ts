import { describe, expect, it } from "vitest";
import { printable } from "./printable.js";

describe("printable", () => {
  it("escapes controls, bidi controls and zero-width characters", () => {
    expect(printable("\u001b[2Jallow\u202Eyned")).toBe("\\u001b[2Jallow\\u202eyned");
    expect(printable("a\u200Bb\uFEFF")).toBe("a\\u200bb\\ufeff");
  });

  it("leaves a joiner or non-joiner inside a word of a script written with them (joiners.ts)", () => {
    for (const text of [
      "\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645", // Persian: ZWNJ inside the word
      "\u0646\u0627\u0645\u0647\u200C\u0647\u0627 \u0628\u064E\u200C\u0628", // Persian, and after a haraka
      "\u0915\u094D\u200D\u0937 \u0915\u094D\u200C\u0937", // Hindi: the half form and the explicit virama
      "\u09B0\u200D\u09CD\u09AF", // Bengali ra-phala
      "\u0DC1\u0DCA\u200D\u0DBB\u0DD3", // Sinhala
    ])
      expect(printable(text), text).toBe(text);
  });

  it("escapes a joiner or non-joiner anywhere else, and keeps the ones that join emoji", () => {
    expect(printable("web\u200Capp web\u200Dapp")).toBe("web\\u200capp web\\u200dapp");
    // across two scripts, at a word's edge, doubled, in a script that does not write with them
    expect(printable("\u0645\u200Ca")).toBe("\u0645\\u200ca");
    expect(printable("\u0645\u06CC\u200C")).toBe("\u0645\u06CC\\u200c");
    expect(printable("\u0645\u200C\u200C\u06CC")).toBe("\u0645\\u200c\\u200c\u06CC");
    expect(printable("\u05E9\u200C\u05DC")).toBe("\u05E9\\u200c\u05DC");
    expect(printable("👩🏽\u200D💻")).toBe("👩🏽\u200D💻");
    expect(printable("👩\u200C💻")).toBe("👩\\u200c💻");
  });
});
