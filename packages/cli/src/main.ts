#!/usr/bin/env node
// The `celgate` binary: runs the command line and sets the exit code (see cli.ts).
import { main } from "./cli.js";

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
