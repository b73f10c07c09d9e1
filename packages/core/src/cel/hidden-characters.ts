/**
 * Characters that make an expression read differently than it runs ("Trojan source",
 * CVE-2021-42574): bidirectional controls reorder what a reviewer sees, so that code looks
 * commented out or a string looks closed; invisible characters make a string literal differ
 * from the one it looks like (`'kube-system'` with a zero-width space never equals the real
 * namespace, and the check it guards silently never matches). A policy's expressions are
 * security code read in review, so the compiler refuses them; a string that needs such a
 * character writes it as an escape (`'\u200b'`), which reads as what it is.
 */
const HIDDEN: Record<number, string> = {
  1564: "ARABIC LETTER MARK",
  8203: "ZERO WIDTH SPACE",
  8204: "ZERO WIDTH NON-JOINER",
  8205: "ZERO WIDTH JOINER",
  8206: "LEFT-TO-RIGHT MARK",
  8207: "RIGHT-TO-LEFT MARK",
  8234: "LEFT-TO-RIGHT EMBEDDING",
  8235: "RIGHT-TO-LEFT EMBEDDING",
  8236: "POP DIRECTIONAL FORMATTING",
  8237: "LEFT-TO-RIGHT OVERRIDE",
  8238: "RIGHT-TO-LEFT OVERRIDE",
  8288: "WORD JOINER",
  8294: "LEFT-TO-RIGHT ISOLATE",
  8295: "RIGHT-TO-LEFT ISOLATE",
  8296: "FIRST STRONG ISOLATE",
  8297: "POP DIRECTIONAL ISOLATE",
  65279: "ZERO WIDTH NO-BREAK SPACE (BYTE ORDER MARK)",
};

const PATTERN = /[\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/;

/**
 * The first hidden character of `source` (its offset, and a description for a diagnostic), or
 * undefined. Pure; never throws.
 */
export function hiddenCharacter(source: string): { offset: number; description: string } | undefined {
  const match = PATTERN.exec(source);
  if (!match) return undefined;
  const code = match[0].charCodeAt(0);
  const hex = code.toString(16).toUpperCase().padStart(4, "0");
  return { offset: match.index, description: `U+${hex} ${HIDDEN[code] ?? "FORMAT CHARACTER"}` };
}
