/**
 * The built bin (dist/cli.js) in real pipes, as a shell runs it: a reader that leaves early, and the noise a
 * plain run must not print.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { describe, expect, it, vi } from "vitest";

const bin = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
const run = promisify(execFile);
const SDK_SWITCH = "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED";
const nodeMajor = Number(process.versions.node.split(".")[0]);

/** The environment of a user's shell: without the switch the test run sets. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  if (!(SDK_SWITCH in extra)) delete env[SDK_SWITCH];
  return env;
}

/** `node dist/cli.js ARGS | READER` under bash with pipefail: the bin's own status, its stderr, the output. */
async function pipeline(args: string[], reader: string) {
  const quoted = args.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
  const script = `set -o pipefail; '${process.execPath}' '${bin}' ${quoted} 2>"$ERR" | ${reader}; echo "status=\${PIPESTATUS[0]}"; cat "$ERR" >&2`;
  const err = join(mkdtempSync(join(tmpdir(), "netutil-pipe-")), "stderr");
  const { stdout, stderr } = await run("bash", ["-c", script], {
    env: userEnv({ ERR: err }),
    maxBuffer: 64 << 20,
  });
  const status = Number(/status=(\d+)\n$/.exec(stdout)?.[1]);
  return { status, output: stdout.replace(/status=\d+\n$/, ""), stderr };
}

/** Telemetry that raises `n` alerts (one host each, no dedup between them): megabytes of text output. */
function manyAlerts(n: number): string {
  const lines = Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      schema: "netutil-detector/exec@1",
      time: 1_795_766_400_000 + i * 1000,
      source: { eventId: `e-${i}` },
      host: { name: `web-${i}` },
      process: {
        pid: 1000 + i,
        ppid: 999,
        executable: "/usr/bin/curl",
        args: ["curl", "http://198.51.100.7/x"],
      },
      parent: { pid: 999, executable: "/tmp/.k" },
    }),
  );
  const file = join(mkdtempSync(join(tmpdir(), "netutil-many-")), "many.ndjson");
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

const STACK_OR_NOISE = /EPIPE|Error|\n\s+at |Warning/;

describe("a reader that leaves early", () => {
  const big = manyAlerts(3000);

  it.each([
    ["replay … | head -1", ["replay", big], "head -1"],
    ["replay --output json … | head -c 100", ["replay", "--output", "json", big], "head -c 100"],
    ["replay … | true (gone before the first write)", ["replay", big], "true"],
    ["demo | head -3", ["demo"], "head -3"],
    ["demo | true (gone before the first write)", ["demo"], "true"],
  ])(
    "%s: status 0, no stack trace",
    async (_name, args, reader) => {
      const { status, stderr, output } = await pipeline(args, reader);
      expect(status).toBe(0);
      expect(stderr).not.toMatch(STACK_OR_NOISE);
      if (reader === "head -1") expect(output).toMatch(/^\[HIGH\] curl run from \/tmp\/\.k on web-0\n$/);
    },
    60_000,
  );

  it("the reader having left, the summary is not printed either", async () => {
    const { stderr } = await pipeline(["replay", big], "head -1");
    expect(stderr).toBe("");
  });

  it.runIf(existsSync("/dev/full"))(
    "a write that fails otherwise (a full disk) is one line and status 1",
    async () => {
      const script = `'${process.execPath}' '${bin}' replay '${big}' >/dev/full`;
      const error = await run("bash", ["-c", script], { env: userEnv() }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 1, stderr: "netutil-detector: cannot write to stdout: ENOSPC\n" });
    },
  );
});

describe("no AWS SDK Node-version notice", () => {
  it("npm start (node dist/cli.js demo) prints alerts and its summary, nothing else", async () => {
    const { stdout, stderr } = await run(process.execPath, [bin, "demo", "--output", "json"], {
      env: userEnv(),
    });
    expect(stdout.split("\n").filter(Boolean).length).toBeGreaterThan(0);
    expect(stderr).toMatch(/^netutil-detector demo: [^\n]+\n$/);
  });

  it.runIf(nodeMajor < 22)(
    "the CLI leaves a user's own choice alone: =false brings the notice back",
    async () => {
      const { stderr } = await run(process.execPath, [bin, "demo", "--output", "json"], {
        env: userEnv({ [SDK_SWITCH]: "false" }),
      });
      expect(stderr).toContain("NodeVersionSupportWarning");
    },
  );

  it("the test run sets the SDK's switch, so no SDK client in a test prints it", () => {
    const warn = vi.spyOn(process, "emitWarning");
    new DynamoDBClient({ region: "us-east-1" }).destroy();
    expect(process.env[SDK_SWITCH]).toBe("true");
    expect(warn.mock.calls.filter(([w]) => String(w).includes("NodeVersionSupportWarning"))).toEqual([]);
    warn.mockRestore();
  });
});
