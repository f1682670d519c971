#!/usr/bin/env node
import { runCli } from "./run-cli.js";

// The AWS SDK's own switch (aws/aws-sdk-js-v3#7983) for its notice that its releases after January 2027 need
// Node 22. The CLI supports Node 20 (engines) with the SDK the lockfile pins; a user who sets the variable
// keeps their choice.
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true";

/**
 * A stream whose reader may leave: `netutil-detector replay … | head -1` closes the pipe after one line, and
 * the next write fails with EPIPE, emitted as an 'error' that would otherwise end the process with a stack
 * trace. A reader that went away is not an error (status 0, no summary); any other write error is reported.
 */
function leavable(stream: NodeJS.WriteStream) {
  let gone = false;
  let failure: NodeJS.ErrnoException | undefined;
  const fail = (error: NodeJS.ErrnoException) => {
    gone = true;
    if (error.code !== "EPIPE") failure ??= error;
  };
  stream.on("error", fail);
  return {
    write: (text: string) => {
      if (!gone) stream.write(text);
    },
    /**
     * Resolves when what was written has been taken: false once the reader is gone. The callback of this last
     * write hears of a failed earlier one before the 'error' event does.
     */
    open: () =>
      new Promise<boolean>((resolve) => {
        if (gone) {
          resolve(false);
          return;
        }
        stream.write("", (error) => {
          if (error) fail(error);
          resolve(!gone);
        });
      }),
    failure: () => failure,
  };
}

const stdout = leavable(process.stdout);
const stderr = leavable(process.stderr);

// The bin entry: real streams, real exit code. An unexpected error is a bug: report it and exit 1.
runCli(process.argv.slice(2), { stdin: process.stdin, stdout, stderr, stdoutOpen: stdout.open }).then(
  (code) => {
    const failure = stdout.failure();
    if (failure !== undefined) {
      stderr.write(`netutil-detector: cannot write to stdout: ${failure.code ?? failure.message}\n`);
      process.exitCode = 1;
      return;
    }
    process.exitCode = code;
  },
  (error: unknown) => {
    stderr.write(
      `netutil-detector: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
