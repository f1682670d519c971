#!/usr/bin/env node
import { runCli } from "./run-cli.js";

// The AWS SDK's own switch (aws/aws-sdk-js-v3#7983) for its notice that its releases after January 2027 need
// Node 22. The CLI supports Node 20 (engines) with the SDK the lockfile pins; a user who sets the variable
// keeps their choice.
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true";

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
