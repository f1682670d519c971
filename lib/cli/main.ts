#!/usr/bin/env node
import { runCli } from "./run-cli.js";

// The bin entry: real streams, real exit code. An unexpected error is a bug: report it and exit 1.
runCli(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `netutil-detector: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
