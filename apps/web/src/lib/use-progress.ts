import { useCallback, useEffect, useRef, useState } from "react";
import type { OnProgress } from "../session.js";

/** How far a read has come: bytes received, of `total` when the service declared it. */
export interface Progress {
  received: number;
  total: number | undefined;
}

/** The page redraws a read's progress at most this often: four times a second. */
export const SHOW_EVERY_MS = 250;
/**
 * A screen reader is told of it at most this often (a polite live region): each change of such a
 * region is read out, and four a second would talk over everything else.
 */
export const ANNOUNCE_EVERY_MS = 5_000;

/**
 * Follows a read's progress for a page: `start()` forgets the previous read and returns what to
 * tell of this one (it may be called for every chunk; a read started before is no longer heard).
 * `shown` follows it at most every SHOW_EVERY_MS and `announced` at most every ANNOUNCE_EVERY_MS,
 * each first as soon as the answer's headers arrive, then with the latest count.
 */
export function useProgress(): {
  start(): OnProgress;
  shown: Progress | null;
  announced: Progress | null;
} {
  const [shown, setShown] = useState<Progress | null>(null);
  const [announced, setAnnounced] = useState<Progress | null>(null);
  const show = useRef(throttle(setShown, SHOW_EVERY_MS));
  const announce = useRef(throttle(setAnnounced, ANNOUNCE_EVERY_MS));
  useEffect(
    () => () => {
      show.current.cancel();
      announce.current.cancel();
    },
    [],
  );
  const generation = useRef(0);
  const start = useCallback((): OnProgress => {
    const mine = ++generation.current;
    show.current.cancel();
    announce.current.cancel();
    setShown(null);
    setAnnounced(null);
    return (received, total) => {
      if (generation.current !== mine) return;
      show.current.push({ received, total });
      announce.current.push({ received, total });
    };
  }, []);
  return { start, shown, announced };
}

/**
 * Passes on the values pushed to `set`, at most one each `ms`: the first at once, the latest of a
 * burst when its interval ends.
 */
function throttle<T>(set: (value: T) => void, ms: number) {
  let last = Number.NEGATIVE_INFINITY;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending: { value: T } | undefined;
  const flush = () => {
    timer = undefined;
    if (!pending) return;
    last = performance.now();
    set(pending.value);
    pending = undefined;
  };
  return {
    push(value: T) {
      pending = { value };
      if (timer !== undefined) return;
      const wait = last + ms - performance.now();
      if (wait <= 0) flush();
      else timer = setTimeout(flush, wait);
    },
    cancel() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      pending = undefined;
      last = Number.NEGATIVE_INFINITY;
    },
  };
}
