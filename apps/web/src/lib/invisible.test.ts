import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { Literal, literal } from "../components/literal.js";
import {
  codePointLabel,
  hasInvisible,
  hasRightToLeft,
  type Piece,
  splitInvisible,
  strayJoiners,
  visibleText,
} from "./invisible.js";

/** What a reader sees: plain runs as they are, each marked character as its token. */
const seen = (pieces: Piece[]) => pieces.map((p) => (typeof p === "string" ? p : p.token)).join("");
/** The text back from the pieces: splitting loses nothing. */
const raw = (pieces: Piece[]) =>
  pieces.map((p) => (typeof p === "string" ? p : String.fromCodePoint(p.codePoint))).join("");

describe("splitInvisible", () => {
  it("marks the bidi embeddings, overrides, isolates and marks", () => {
    for (let cp = 0x202a; cp <= 0x202e; cp++)
      expect(hasInvisible(`a${String.fromCodePoint(cp)}b`)).toBe(true);
    for (let cp = 0x2066; cp <= 0x2069; cp++)
      expect(hasInvisible(`a${String.fromCodePoint(cp)}b`)).toBe(true);
    for (let cp = 0x200b; cp <= 0x200f; cp++)
      expect(hasInvisible(`a${String.fromCodePoint(cp)}b`)).toBe(true);
    expect(hasInvisible("a\u061Cb")).toBe(true);
  });

  it("shows a Trojan-source name as it is stored, not as it reads", () => {
    const pieces = splitInvisible("allow\u202Eyned");
    expect(pieces).toEqual([
      "allow",
      { codePoint: 0x202e, token: "⟨U+202E⟩", label: "U+202E RIGHT-TO-LEFT OVERRIDE" },
      "yned",
    ]);
    expect(seen(pieces)).toBe("allow⟨U+202E⟩yned");
    expect(visibleText("evil\u202Egnp.exe\u200B\u2066x\u2069")).toBe(
      "evil⟨U+202E⟩gnp.exe⟨U+200B⟩⟨U+2066⟩x⟨U+2069⟩",
    );
  });

  it("makes two names that look alike look different", () => {
    expect(visibleText("web\u200Bapp")).not.toBe(visibleText("webapp"));
    expect(visibleText("web\u2060app")).toBe("web⟨U+2060⟩app");
    expect(visibleText("\uFEFFweb")).toBe("⟨U+FEFF⟩web");
    expect(visibleText("web\u00ADapp")).toBe("web⟨U+00AD⟩app");
    expect(visibleText("\u3164")).toBe("⟨U+3164⟩");
  });

  it("marks line and paragraph separators, controls but tab and line feed, and lone surrogates", () => {
    expect(visibleText("a\u2028b\u2029c")).toBe("a⟨U+2028⟩b⟨U+2029⟩c");
    expect(visibleText("a\rb\x00c\x1bd\x7fe\x85f")).toBe("a⟨U+000D⟩b⟨U+0000⟩c⟨U+001B⟩d⟨U+007F⟩e⟨U+0085⟩f");
    expect(visibleText("a\tb\nc")).toBe("a\tb\nc");
    expect(visibleText("a\uD800b")).toBe("a⟨U+D800⟩b");
    expect(visibleText("tag\u{E0041}")).toBe("tag⟨U+E0041⟩");
  });

  it("leaves ordinary text, right-to-left scripts and emoji unchanged", () => {
    for (const text of [
      "",
      "registry.example/shop/web:1.0",
      "שלום עולם",
      "مرحبا بالعالم",
      "ܫܠܡܐ",
      "日本語のテキスト",
      "Ünïcödé café naïve",
      "👍 🙂 ❤️ 1️⃣ 🇩🇪",
      // ZWJ sequences, skin tones and a flag's tag sequence
      "👩🏽‍💻 🏳️‍🌈 ❤️‍🔥 👨‍👩‍👧‍👦 🏴󠁧󠁢󠁳󠁣󠁴󠁿",
      // an ideographic variation sequence, a Mongolian variant
      "葛\u{E0100} ᠠ\u180B",
    ]) {
      expect(hasInvisible(text)).toBe(false);
      expect(visibleText(text)).toBe(text);
      expect(splitInvisible(text)).toEqual(text ? [text] : []);
    }
  });

  it("marks a joiner or selector that joins no emoji", () => {
    expect(visibleText("a\u200Db")).toBe("a⟨U+200D⟩b");
    expect(visibleText("🙂\u200Da")).toBe("🙂⟨U+200D⟩a");
    expect(visibleText("a\uFE0F")).toBe("a⟨U+FE0F⟩");
    // the override beside an emoji is marked, the emoji kept
    expect(visibleText("👩🏽‍💻\u202E")).toBe("👩🏽‍💻⟨U+202E⟩");
  });

  it("keeps a zero-width joiner or non-joiner between letters of a script written with them", () => {
    for (const text of [
      "\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645", // Persian می‌خواهم: ZWNJ inside the word
      "\u0646\u0627\u0645\u0647\u200C\u0647\u0627", // Persian نامه‌ها
      "\u0628\u064E\u200C\u0628", // an Arabic letter with its haraka, then ZWNJ
      "\u0915\u094D\u200D\u0937", // Hindi क्‍ष: ZWJ after the virama, the half form
      "\u0915\u094D\u200C\u0937", // Hindi क्‌ष: ZWNJ, the explicit virama
      "\u09B0\u200D\u09CD\u09AF", // Bengali র‍্য: ra-phala, ZWJ before the virama
      "\u0D28\u0D4D\u200D\u0D31", // Malayalam
      "\u0DC1\u0DCA\u200D\u0DBB\u0DD3", // Sinhala: ZWJ for the rakaransaya
      "\u0B95\u0BCD\u200C\u0BB7", // Tamil
      "\u0644\u0627\u200D\u0644", // Arabic ZWJ between letters
    ]) {
      expect(hasInvisible(text), text).toBe(false);
      expect(visibleText(text)).toBe(text);
      expect(splitInvisible(text)).toEqual([text]);
    }
  });

  it("marks a zero-width joiner or non-joiner outside a word of such a script", () => {
    // in an identifier between ASCII letters: two names that look alike
    expect(visibleText("web\u200Capp")).toBe("web⟨U+200C⟩app");
    expect(visibleText("web\u200Dapp")).toBe("web⟨U+200D⟩app");
    // between two scripts, at either end of a word, doubled, next to a digit
    expect(visibleText("\u0645\u200Ca")).toBe("\u0645⟨U+200C⟩a");
    expect(visibleText("a\u200C\u0645")).toBe("a⟨U+200C⟩\u0645");
    expect(visibleText("\u0645\u200C\u0915")).toBe("\u0645⟨U+200C⟩\u0915");
    expect(visibleText("\u200C\u0645\u06CC")).toBe("⟨U+200C⟩\u0645\u06CC");
    expect(visibleText("\u0645\u06CC\u200C")).toBe("\u0645\u06CC⟨U+200C⟩");
    expect(visibleText("\u0645\u200C \u06CC")).toBe("\u0645⟨U+200C⟩ \u06CC");
    expect(visibleText("\u0645\u200C\u200C\u06CC")).toBe("\u0645⟨U+200C⟩⟨U+200C⟩\u06CC");
    expect(visibleText("\u0645\u200C\u0661")).toBe("\u0645⟨U+200C⟩\u0661");
    // a script that does not write with them
    expect(visibleText("\u05E9\u200C\u05DC")).toBe("\u05E9⟨U+200C⟩\u05DC");
    expect(visibleText("\u65E5\u200D\u672C")).toBe("\u65E5⟨U+200D⟩\u672C");
    // ZWNJ never joins emoji
    expect(visibleText("👩\u200C💻")).toBe("👩⟨U+200C⟩💻");
  });

  it("loses nothing: the pieces give the text back", () => {
    const text = "a\u202Eb👩🏽‍💻\u200Bשלום\u2066\r\n\u{E0001}";
    expect(raw(splitInvisible(text))).toBe(text);
  });

  it("names each code point, or its kind", () => {
    expect(codePointLabel(0x2067)).toBe("U+2067 RIGHT-TO-LEFT ISOLATE");
    expect(codePointLabel(0x0001)).toBe("U+0001 CONTROL CHARACTER");
    expect(codePointLabel(0xfe0f)).toBe("U+FE0F VARIATION SELECTOR-16");
    expect(codePointLabel(0xe0101)).toBe("U+E0101 VARIATION SELECTOR-18");
    expect(codePointLabel(0x2063)).toBe("U+2063 INVISIBLE SEPARATOR");
    expect(codePointLabel(0x110bd)).toBe("U+110BD INVISIBLE FORMAT CHARACTER");
  });

  it("knows right-to-left letters", () => {
    expect(hasRightToLeft("name-שלום")).toBe(true);
    expect(hasRightToLeft("مرحبا")).toBe(true);
    expect(hasRightToLeft("plain")).toBe(false);
  });
});

describe("strayJoiners", () => {
  it("finds the joiners splitInvisible marks, and only those", () => {
    const texts = [
      "web\u200Capp: yes",
      "a\u200Db \u0645\u0631\u062D\u0628\u0627\u200D x\u200C\u200Cy",
      "\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645 \u0915\u094D\u200D\u0937 👩🏽‍💻 🏳️‍🌈",
      "no joiner \u202E here",
    ];
    for (const text of texts) {
      const marked: number[] = [];
      let at = 0;
      for (const p of splitInvisible(text)) {
        if (typeof p !== "string" && (p.codePoint === 0x200c || p.codePoint === 0x200d)) marked.push(at);
        at += typeof p === "string" ? p.length : String.fromCodePoint(p.codePoint).length;
      }
      expect(strayJoiners(text), JSON.stringify(text)).toEqual(marked);
    }
    expect(strayJoiners("web\u200Capp: yes")).toEqual([3]);
    expect(strayJoiners("a\u200Db \u0645\u0631\u062D\u0628\u0627\u200D x\u200C\u200Cy")).toEqual([
      1, 9, 12, 13,
    ]);
    expect(
      strayJoiners("\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645 \u0915\u094D\u200D\u0937 👩🏽‍💻"),
    ).toEqual([]);
  });
});

describe("Literal", () => {
  const html = (text: string | null | undefined) => renderToStaticMarkup(createElement(Literal, { text }));

  it("renders plain text as itself, and nothing for null", () => {
    expect(html("web <b>&amp;</b>")).toBe("web &lt;b&gt;&amp;amp;&lt;/b&gt;");
    expect(html("👩🏽‍💻")).toBe("👩🏽‍💻");
    expect(html(null)).toBe("");
    expect(html(undefined)).toBe("");
  });

  it("renders each invisible character as a marked token inside an isolate, never raw", () => {
    const out = html("allow\u202Eyned");
    expect(out).toBe(
      '<bdi>allow<span class="invisible-char" role="img" aria-label="U+202E RIGHT-TO-LEFT OVERRIDE" title="U+202E RIGHT-TO-LEFT OVERRIDE">⟨U+202E⟩</span>yned</bdi>',
    );
    expect(out).not.toContain("\u202E");
  });

  it("isolates right-to-left text without marking it", () => {
    expect(html("שלום")).toBe("<bdi>שלום</bdi>");
  });

  it("wraps string cells and leaves elements alone", () => {
    expect(renderToStaticMarkup(createElement("td", null, literal("a\u200Bb")))).toContain("⟨U+200B⟩");
    const element = createElement("b", null, "x");
    expect(literal(element)).toBe(element);
    expect(literal(3)).toBe(3);
  });
});
