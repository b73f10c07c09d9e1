import { diffLines } from "diff";
import { visibleText } from "../lib/invisible.js";
import { Literal } from "./literal.js";

/** A line diff of two texts: removed lines marked "-", added "+"; invisible characters shown as tokens. */
export function DiffView({ before, after, label }: { before: string; after: string; label: string }) {
  const parts = diffLines(before, after);
  return (
    <section className="code-wrap" aria-label={visibleText(label)}>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard */}
      <pre className="code diff" tabIndex={0}>
        {parts.flatMap((part, i) =>
          part.value
            .replace(/\n$/, "")
            .split("\n")
            .map((line, j) => {
              const cls = part.added ? "add" : part.removed ? "del" : "same";
              const mark = part.added ? "+ " : part.removed ? "- " : "  ";
              return (
                <span key={`${i}-${j}`} className={`diff-${cls}`}>
                  {mark}
                  <Literal text={line} />
                  {"\n"}
                </span>
              );
            }),
        )}
      </pre>
    </section>
  );
}
