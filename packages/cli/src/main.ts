#!/usr/bin/env node
// The `celgate` binary: runs the command line and sets the exit code (see cli.ts).
// first, so that V8 is tuned before anything else is loaded (see tiering.ts)
import "./tiering.js";
import { main } from "./cli.js";

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
