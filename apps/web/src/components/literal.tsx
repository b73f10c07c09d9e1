import type { ReactNode } from "react";
import { hasRightToLeft, splitInvisible } from "../lib/invisible.js";

/**
 * Text from data (a name, a title, a message, anything a caller stored) as the console shows it
 * wherever it is read, not edited: each bidi control, zero-width or other invisible character is
 * a small marked token naming its code point (`⟨U+202E⟩`, its name in the tooltip and the
 * accessible name), so it never reorders or hides what surrounds it, and two names that differ
 * only there look different. Text holding a right-to-left letter is isolated (`<bdi>`) so its
 * direction stays inside it. Anything else is the text itself. Inputs and editors keep the raw
 * value: see lib/invisible.ts for the characters and `visibleText` for attributes. Null and
 * undefined show nothing, as in JSX.
 */
export function Literal({ text }: { text: string | null | undefined }): ReactNode {
  if (text === null || text === undefined) return null;
  const pieces = splitInvisible(text);
  const marked = pieces.some((p) => typeof p !== "string");
  if (!marked && !hasRightToLeft(text)) return text;
  return (
    <bdi>
      {pieces.map((p, i) =>
        typeof p === "string" ? (
          p
        ) : (
          <span key={i} className="invisible-char" role="img" aria-label={p.label} title={p.label}>
            {p.token}
          </span>
        ),
      )}
    </bdi>
  );
}

/** A cell or other computed content: a string becomes a `Literal`; anything else is kept. */
export function literal(content: ReactNode): ReactNode {
  return typeof content === "string" ? <Literal text={content} /> : content;
}
