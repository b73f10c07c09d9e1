#!/usr/bin/env node
// The `celgate` binary: runs the command line and sets the exit code (see cli.ts).
// first, so that V8 is tuned before anything else is loaded (see tiering.ts)
import "./tiering.js";
import { main } from "./cli.js";

// A reader that stops early (`celgate check -o json | head`) closes the pipe: the rest of the
// output is dropped, with no stack trace, and the exit code stays the command's (a deny is
// still 1). Any other failure to write the output is an error of its own (exit 2).
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") return;
  process.stderr.write(`celgate: cannot write the output: ${error.message}\n`);
  process.exitCode = 2;
});

// The same for stderr (`celgate export vap 2>&1 | head`): a reader gone from stderr is no
// failure of the command, and there is nowhere left to say anything. Without a listener the
// write error was an uncaught exception, exit 1, read as a deny.
process.stderr.on("error", () => {});

main(process.argv.slice(2)).then((code) => {
  process.exitCode = process.exitCode === 2 ? 2 : code;
});
