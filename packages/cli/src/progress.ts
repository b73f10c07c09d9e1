/** Where progress goes: standard error, or a test's stand-in. */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * A one-line progress display for long runs: silent unless the stream is a terminal and the
 * run has taken more than `afterMs` (one second); then at most ten updates a second, each
 * overwriting the last. `done()` clears the line if one was drawn.
 */
export class Progress {
  #drawn = false;
  #last = 0;
  readonly #started: number;

  constructor(
    private readonly stream: ProgressStream = process.stderr,
    private readonly afterMs = 1000,
    private readonly clock: () => number = Date.now,
  ) {
    this.#started = clock();
  }

  /** Shows `phase: done/total unit` when the run is long enough; cheap to call often. */
  update(phase: string, done: number, total: number, unit: string): void {
    if (!this.stream.isTTY) return;
    const now = this.clock();
    if (now - this.#started < this.afterMs) return;
    if (this.#drawn && now - this.#last < 100 && done < total) return;
    this.#last = now;
    this.#drawn = true;
    this.stream.write(`\r\u001b[K${phase}: ${done}/${total} ${unit}`);
  }

  /** Clears the progress line, if any. */
  done(): void {
    if (this.#drawn) this.stream.write("\r\u001b[K");
    this.#drawn = false;
  }
}
