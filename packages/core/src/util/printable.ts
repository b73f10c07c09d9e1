/**
 * Untrusted text made safe to print to a terminal or a log read in one: what would act instead
 * of showing is written as a `\uXXXX` escape.
 */
import { JOINER_IN_WORD } from "./joiners.js";

// control characters but tab and newline (ESC above all, which could rewrite the screen); the
// bidirectional marks, embeddings, overrides and isolates, which make text read in another
// order than it is stored (a name `allow\u202eyned` reads "allowdeny"); zero-width characters,
// which make two names look alike (a zero-width joiner only outside an emoji sequence, where it
// joins two pictographs); line and paragraph separators; the byte order mark. A joiner or
// non-joiner inside a word of a script written with them (joiners.ts) is part of the word:
// matched first, as the `keep` group, and left as it is.
const UNPRINTABLE = new RegExp(
  `(?<keep>${JOINER_IN_WORD})|` +
    String.raw`[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b\u200c\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]|(?<!\p{Extended_Pictographic}|\p{Emoji_Modifier}|\ufe0f)\u200d|\u200d(?!\p{Extended_Pictographic})`,
  "gu",
);

/**
 * Makes untrusted text safe for a terminal: the characters of UNPRINTABLE are shown as
 * `\uXXXX`; everything else, right-to-left scripts and emoji included, is left as it is.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (char: string, keep: string | undefined) =>
    keep !== undefined ? char : `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
