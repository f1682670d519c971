import { Readable } from "node:stream";
import { runCli } from "../../lib/cli/run-cli.js";

/** Runs the CLI in-process with captured streams. */
export async function cli(argv: string[], stdin: string | Buffer = "") {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    stdin: Readable.from([Buffer.from(stdin)]),
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
  });
  return { code, stdout, stderr };
}
