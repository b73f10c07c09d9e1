/**
 * Where a zero-width joiner (U+200D) or non-joiner (U+200C) is part of a word rather than a
 * character hidden in it: one rule for every place that shows untrusted text, the terminal
 * (printable.ts) and the web console (apps/web/src/lib/invisible.ts).
 */

/**
 * The scripts whose words are written with U+200C ZERO WIDTH NON-JOINER and U+200D ZERO WIDTH
 * JOINER (The Unicode Standard, 23.2 "Layout Controls", and each script's chapter): the joining
 * scripts, where ZWNJ keeps two letters of one word apart (Persian `می\u200Cخواهم`, Kurdish,
 * Urdu) and ZWJ asks for a joined form, and the Brahmic scripts, where after a virama they choose
 * the half form or the explicit virama of a conjunct (Hindi `क्\u200Dष`, `क्\u200Cष`; Sinhala,
 * Malayalam, Bengali's ra-phala `র\u200D্য`). Between letters of one of these (a letter, its marks,
 * the joiner, then a letter or mark of the same script) a joiner belongs to the word; anywhere
 * else (between Latin letters, as in an identifier `web\u200Capp`, between two scripts, doubled,
 * at either end of a word) it can only make two names look alike.
 */
export const JOINING_SCRIPTS = [
  "Arabic",
  "Syriac",
  "Nko",
  "Mongolian",
  "Mandaic",
  "Adlam",
  "Hanifi_Rohingya",
  "Devanagari",
  "Bengali",
  "Gurmukhi",
  "Gujarati",
  "Oriya",
  "Tamil",
  "Telugu",
  "Kannada",
  "Malayalam",
  "Sinhala",
  "Tibetan",
  "Myanmar",
  "Khmer",
] as const;

const JOINER = String.raw`[\u200C\u200D]`;

/**
 * A regular expression's source (for the `u` or `v` flag) that matches one joiner inside a word
 * of one JOINING_SCRIPTS script: after a letter of it (and that letter's marks), before a letter
 * or mark of it. Script_Extensions, so that a mark a script shares with a neighbour (Arabic's
 * harakat are also Syriac's) counts. The lookahead up front keeps a scan cheap: the lookbehinds
 * run at a joiner only.
 */
export const JOINER_IN_WORD = `(?=${JOINER})(?:${JOINING_SCRIPTS.map(
  (s) => String.raw`(?<=(?=\p{L})\p{scx=${s}}\p{M}*)${JOINER}(?=(?=[\p{L}\p{M}])\p{scx=${s}})`,
).join("|")})`;
