import { useCallback, useEffect, useState } from "react";

export type Loaded<T> =
  | { state: "loading" }
  | { state: "error"; error: unknown }
  | { state: "done"; value: T };

const LOADING = { state: "loading" } as const;

const same = (a: readonly unknown[], b: readonly unknown[]) =>
  a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

/**
 * Runs `load` whenever `deps` change (aborting the previous run); `reload()` runs it again.
 * A result is shown only with the deps it was loaded for: in the render where the deps change,
 * before the new run has started, the state is already `loading`, never the old value.
 */
export function useLoad<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: readonly unknown[],
): [Loaded<T>, () => void] {
  const [round, setRound] = useState(0);
  const key = [...deps, round];
  const [result, setResult] = useState<{ key: readonly unknown[]; loaded: Loaded<T> }>({
    key: [],
    loaded: LOADING,
  });
  useEffect(() => {
    const controller = new AbortController();
    setResult({ key, loaded: LOADING });
    load(controller.signal).then(
      (value) => !controller.signal.aborted && setResult({ key, loaded: { state: "done", value } }),
      (error: unknown) => !controller.signal.aborted && setResult({ key, loaded: { state: "error", error } }),
    );
    return () => controller.abort();
  }, key);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return [same(result.key, key) ? result.loaded : LOADING, reload];
}
