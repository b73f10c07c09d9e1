/**
 * Characters that change how text reads without being seen: bidirectional embeddings, overrides
 * and isolates (a "Trojan source" name such as `allow\u202Eyned` reads as "allowdeny"), zero-width
 * characters that make two names look alike, line and paragraph separators, other control and
 * format characters, and the fillers Unicode says to ignore when rendering. Read-only displays show
 * each as a visible token (`⟨U+202E⟩`, see components/literal.tsx); inputs and editors keep the
 * raw text. Ordinary text, right-to-left scripts included, passes unchanged, and so do the joiners
 * and selectors inside an emoji (👩🏽‍💻, 🏳️‍🌈, 🏴󠁧󠁢󠁳󠁣󠁴󠁿), a CJK ideographic variation
 * sequence, a Mongolian variant, and a zero-width joiner or non-joiner inside a word of a script
 * that writes with them (Persian `می\u200Cخواهم`, Hindi `क्\u200Dष`): the rule the terminal's text
 * follows too, in @celgate/core/joiners (JOINING_SCRIPTS).
 */

import { JOINER_IN_WORD } from "@celgate/core/joiners";

/** One piece of a text: plain text as it is, or one character to show as a token. */
export type Piece = string | { codePoint: number; token: string; label: string };

// Sequences whose selectors and joiners belong to what is drawn, tried before the marked class:
// an emoji with its presentation selector or skin tone, a flag's tag sequence and emoji joined by
// ZWJ; a keycap (1️⃣); a Han ideograph with its variation selector; a Mongolian letter with its
// free variation selector; a joiner inside a word (JOINER_IN_WORD).
const KEPT = [
  String.raw`\p{Extended_Pictographic}(?:[\uFE0E\uFE0F]|\p{Emoji_Modifier})?(?:[\u{E0020}-\u{E007E}]+\u{E007F})?(?:\u200D\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})?)*`,
  String.raw`[0-9#*]\uFE0F\u20E3`,
  String.raw`\p{Script=Han}[\uFE00-\uFE0F\u{E0100}-\u{E01EF}]`,
  String.raw`\p{Script=Mongolian}[\u180B-\u180D\u180F]`,
  JOINER_IN_WORD,
].join("|");

// Controls (C0 but tab and line feed, DEL, C1), format characters (bidi controls, zero-width
// characters, the byte order mark, tags...), lone surrogates, the line and paragraph separators,
// and every default-ignorable code point (Hangul fillers, variation selectors, ...).
const MARKED = String.raw`[\x00-\x08\x0B-\x1F\x7F-\x9F\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]`;

const SCAN = new RegExp(`(${KEPT})|${MARKED}`, "gu");
const ANY_MARKED = new RegExp(MARKED, "u");

/** The names of the characters most often met; others are named by their kind. */
const NAMES: Record<number, string> = {
  0: "NULL",
  8: "BACKSPACE",
  11: "LINE TABULATION",
  12: "FORM FEED",
  13: "CARRIAGE RETURN",
  27: "ESCAPE",
  127: "DELETE",
  133: "NEXT LINE",
  173: "SOFT HYPHEN",
  847: "COMBINING GRAPHEME JOINER",
  1564: "ARABIC LETTER MARK",
  4447: "HANGUL CHOSEONG FILLER",
  4448: "HANGUL JUNGSEONG FILLER",
  6158: "MONGOLIAN VOWEL SEPARATOR",
  8203: "ZERO WIDTH SPACE",
  8204: "ZERO WIDTH NON-JOINER",
  8205: "ZERO WIDTH JOINER",
  8206: "LEFT-TO-RIGHT MARK",
  8207: "RIGHT-TO-LEFT MARK",
  8232: "LINE SEPARATOR",
  8233: "PARAGRAPH SEPARATOR",
  8234: "LEFT-TO-RIGHT EMBEDDING",
  8235: "RIGHT-TO-LEFT EMBEDDING",
  8236: "POP DIRECTIONAL FORMATTING",
  8237: "LEFT-TO-RIGHT OVERRIDE",
  8238: "RIGHT-TO-LEFT OVERRIDE",
  8288: "WORD JOINER",
  8289: "FUNCTION APPLICATION",
  8290: "INVISIBLE TIMES",
  8291: "INVISIBLE SEPARATOR",
  8292: "INVISIBLE PLUS",
  8294: "LEFT-TO-RIGHT ISOLATE",
  8295: "RIGHT-TO-LEFT ISOLATE",
  8296: "FIRST STRONG ISOLATE",
  8297: "POP DIRECTIONAL ISOLATE",
  12644: "HANGUL FILLER",
  65279: "ZERO WIDTH NO-BREAK SPACE (BYTE ORDER MARK)",
  65440: "HALFWIDTH HANGUL FILLER",
  65529: "INTERLINEAR ANNOTATION ANCHOR",
  65530: "INTERLINEAR ANNOTATION SEPARATOR",
  65531: "INTERLINEAR ANNOTATION TERMINATOR",
};

const hex = (cp: number) => cp.toString(16).toUpperCase().padStart(4, "0");

/** `U+202E`: the code point as Unicode writes it. */
export function codePointText(cp: number): string {
  return `U+${hex(cp)}`;
}

/** A code point's name, or its kind when it is not one of the common ones ("U+0001 CONTROL CHARACTER"). */
export function codePointLabel(cp: number): string {
  const name =
    NAMES[cp] ??
    (cp >= 0xfe00 && cp <= 0xfe0f
      ? `VARIATION SELECTOR-${cp - 0xfe00 + 1}`
      : cp >= 0xe0100 && cp <= 0xe01ef
        ? `VARIATION SELECTOR-${cp - 0xe0100 + 17}`
        : cp >= 0xe0000 && cp <= 0xe007f
          ? "TAG CHARACTER"
          : cp >= 0xd800 && cp <= 0xdfff
            ? "LONE SURROGATE (NOT A CHARACTER)"
            : cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f)
              ? "CONTROL CHARACTER"
              : "INVISIBLE FORMAT CHARACTER");
  return `${codePointText(cp)} ${name}`;
}

/** Whether `text` holds a character that read-only displays show as a token. Never throws. */
export function hasInvisible(text: string): boolean {
  if (!ANY_MARKED.test(text)) return false;
  for (const m of text.matchAll(SCAN)) if (m[1] === undefined) return true;
  return false;
}

/**
 * `text` cut into plain runs and the characters to show as tokens, in order; joining the plain
 * runs and each token's character gives `text` back. Text without such characters is one piece
 * (or none, when empty). Never throws.
 */
export function splitInvisible(text: string): Piece[] {
  if (!ANY_MARKED.test(text)) return text ? [text] : [];
  const pieces: Piece[] = [];
  let plain = "";
  let last = 0;
  for (const m of text.matchAll(SCAN)) {
    if (m[1] !== undefined) continue; // a kept sequence stays in the plain run
    plain += text.slice(last, m.index);
    if (plain) pieces.push(plain);
    plain = "";
    const cp = m[0].codePointAt(0)!;
    pieces.push({ codePoint: cp, token: `⟨${codePointText(cp)}⟩`, label: codePointLabel(cp) });
    last = m.index + m[0].length;
  }
  plain += text.slice(last);
  if (plain) pieces.push(plain);
  return pieces;
}

const JOINER = /[\u200C\u200D]/u;

/**
 * Where in `text` (UTF-16 offsets, in order) a zero-width non-joiner or joiner stands that
 * read-only displays show as a token: not one inside an emoji or inside a word of a script
 * written with them (JOINER_IN_WORD). For the source editors, which draw every other invisible
 * character by its code point alone. Never throws.
 */
export function strayJoiners(text: string): number[] {
  const at: number[] = [];
  if (!JOINER.test(text)) return at;
  for (const m of text.matchAll(SCAN)) if (m[1] === undefined && JOINER.test(m[0])) at.push(m.index);
  return at;
}

/**
 * `text` with each such character written as its token (`evil⟨U+202E⟩gnp`): for places that take
 * a string only, such as a title, an aria-label or an option of a select. Never throws.
 */
export function visibleText(text: string): string {
  if (!ANY_MARKED.test(text)) return text;
  return splitInvisible(text)
    .map((p) => (typeof p === "string" ? p : p.token))
    .join("");
}

// Letters of the right-to-left scripts: text holding one is isolated from what surrounds it, so
// that its direction never reorders the page's own words and punctuation beside it.
const RTL =
  /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Samaritan}\p{Script=Mandaic}\p{Script=Adlam}\p{Script=Hanifi_Rohingya}\p{Script=Yezidi}]/u;

/** Whether `text` holds a letter of a right-to-left script. */
export function hasRightToLeft(text: string): boolean {
  return RTL.test(text);
}
