import { readdirSync, readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemoryDedupStore } from "../../../lib/alerts/dedup-store.js";
import { MemoryLineageStore } from "../../../lib/lineage/memory-store.js";
import { processKey } from "../../../lib/lineage/process-record.js";
import { newCounters } from "../../../lib/pipeline/counters.js";
import { processBatch } from "../../../lib/pipeline/process-batch.js";
import { compileRule } from "../../../lib/rule/compile-rule.js";
import type { DecodeOutput, ProcessExit, RawRecord } from "../../../lib/telemetry/decoder.js";
import type { ExecEvent } from "../../../lib/telemetry/exec-event.js";
import { MAX_ARGS } from "../../../lib/telemetry/sources/json-access.js";
import {
  pidFromExecId,
  splitTetragonArgs,
  tetragonDecoder,
} from "../../../lib/telemetry/sources/tetragon.js";
import { samplePath } from "../../helpers/samples.js";

const samples = pathToFileURL(samplePath("upstream/tetragon/"));
const ctx = { defaultHost: "stream-host" };

// Raw text matters only for quarantine; a value too deep to stringify still gets a record.
const record = (value: unknown): RawRecord => {
  try {
    return { text: JSON.stringify(value) ?? "", line: 5 };
  } catch {
    return { text: "<too deep>", line: 5 };
  }
};
const decode = (value: unknown): DecodeOutput => tetragonDecoder.decode(value, record(value), ctx);
const eventOf = (value: unknown): ExecEvent => {
  const out = decode(value);
  if (out.kind !== "event") throw new Error(`${out.kind}: ${out.reason}`);
  return out.event;
};

/** A sample file's JSON documents: the testdata file is JSON lines, the others one pretty-printed document. */
const documents = (file: string): Record<string, unknown>[] => {
  const text = readFileSync(new URL(file, samples), "utf8");
  const trimmed = text.trim();
  if (trimmed.includes("\n{")) return trimmed.split("\n").map((line) => JSON.parse(line));
  return [JSON.parse(trimmed)];
};
const sample = (file: string): Record<string, unknown> => documents(file)[0]!;

type Obj = Record<string, unknown>;
const at = (value: unknown, ...path: string[]): Obj => {
  let cur = value as Obj;
  for (const key of path) cur = cur[key] as Obj;
  return cur;
};

/** Runs decoded events (and exits) through the real batch pipeline with the in-memory stores. */
async function pipeline(values: unknown[], store = new MemoryLineageStore()) {
  const events: ExecEvent[] = [];
  const exits: ProcessExit[] = [];
  for (const value of values) {
    const out = decode(value);
    if (out.kind === "event") events.push(out.event);
    else if (out.kind === "skipped" && out.exit !== undefined) exits.push(out.exit);
    else throw new Error(`${out.kind}: ${out.reason}`);
  }
  const counters = newCounters();
  const deps = { store, dedup: new MemoryDedupStore(), rule: compileRule() };
  const alerts = await processBatch(events, deps, counters, exits);
  return { alerts, counters, store };
}

/** A Tetragon Process, with what the tests below vary. */
const proc = (
  pid: number,
  binary: string,
  args: string,
  execId: string,
  parentExecId: string,
  extra: Obj = {},
): Obj => ({
  exec_id: execId,
  pid,
  uid: 33,
  cwd: "/tmp/",
  binary,
  arguments: args,
  flags: "execve clone",
  start_time: "2026-01-05T10:00:00.100000000Z",
  auid: 4294967295,
  parent_exec_id: parentExecId,
  ...extra,
});
const execId = (pid: number, ktime: number) => Buffer.from(`web-1:${ktime}:${pid}`).toString("base64");
const execEvent = (process: Obj, parent: Obj | undefined, time: string, extra: Obj = {}): Obj => ({
  process_exec: { process, ...(parent !== undefined && { parent }), ...extra },
  node_name: "web-1",
  time,
});

describe("tetragonDecoder on the upstream samples", () => {
  const files = readdirSync(samples).filter((f) => f.endsWith(".json"));

  it("decodes every sample file with nothing malformed; process_exit is skipped with its exit", () => {
    expect(files).toHaveLength(5);
    const kinds: Record<string, number> = { event: 0, skipped: 0, malformed: 0 };
    for (const file of files) {
      for (const value of documents(file)) {
        expect(tetragonDecoder.matches(value), file).toBe(true);
        const out = decode(value);
        kinds[out.kind] = (kinds[out.kind] ?? 0) + 1;
        expect(out.kind, `${file}: ${out.kind === "event" ? "" : out.reason}`).not.toBe("malformed");
      }
    }
    expect(kinds).toEqual({ event: 6, skipped: 1, malformed: 0 });
  });

  it("turns the nc process_exit into an exit for lineage eviction", () => {
    expect(decode(sample("isovalent-book_nc_process_exit.json"))).toEqual({
      kind: "skipped",
      line: 5,
      reason: "tetragon process_exit",
      exit: {
        host: "minikube",
        pid: 38314,
        time: Date.parse("2022-02-01T18:01:57.725Z"),
        entityId: "bWluaWt1YmU6MzM0OTc2NzgxOTUzNTozODMxNA==",
      },
    });
  });

  it("decodes the nc exec: argv with the binary's basename as argv[0], parent sh lifecycle.sh", () => {
    const event = eventOf(sample("isovalent-book_nc_process_exec.json"));
    expect(event).toEqual({
      host: { name: "minikube" },
      container: {
        id: "e6af4dff4ea3b8d50313c59fbaa442e377da35671e79f43b8dc53c5efcc9b659",
        image: "quay.io/isovalent/jobs-app-elasticsearch:latest",
      },
      user: { id: "0", auditId: "4294967295" },
      process: {
        pid: 38314,
        ppid: 38312,
        executable: "/usr/bin/nc",
        args: ["nc", "raiz3gjkgtfhkkc.not-reverse-shell.com", "443"],
        cwd: "/usr/share/elasticsearch/",
        start: Date.parse("2022-02-01T18:01:56.411Z"),
        entityId: "bWluaWt1YmU6MzM0OTc2NzgxOTUzNTozODMxNA==",
      },
      parent: {
        pid: 38312,
        executable: "/usr/bin/sh",
        args: ["sh", "lifecycle.sh"],
        // The parent's own working directory: its relative script is placed against it, not the child's.
        cwd: "/usr/share/elasticsearch/",
        entityId: "bWluaWt1YmU6MzM0OTc2MDUxNjExMTozODMxMg==",
      },
      time: Date.parse("2022-02-01T18:01:56.411Z"),
      source: { format: "tetragon", eventId: "bWluaWt1YmU6MzM0OTc2NzgxOTUzNTozODMxNA==" },
    });
  });

  it("raises no alert for the nc sample: its parent's files are not in a writable directory", async () => {
    const { alerts, counters } = await pipeline([
      sample("isovalent-book_lifecycle_sh_process_exec.json"),
      sample("isovalent-book_nc_process_exec.json"),
      sample("isovalent-book_nc_process_exit.json"),
    ]);
    expect(alerts).toEqual([]);
    expect(counters.execEvents).toBe(2);
  });

  it("evicts the nc record on its exit, and only that record", async () => {
    const { store } = await pipeline([
      sample("isovalent-book_lifecycle_sh_process_exec.json"),
      sample("isovalent-book_nc_process_exec.json"),
      sample("isovalent-book_nc_process_exit.json"),
    ]);
    const found = await store.getMany([processKey("minikube", 38314), processKey("minikube", 38312)]);
    expect([...found.keys()]).toEqual([processKey("minikube", 38312)]);
  });

  it("decodes the lifecycle exec, whose parent bash has no arguments", () => {
    const event = eventOf(sample("isovalent-book_lifecycle_sh_process_exec.json"));
    expect(event.process.args).toEqual(["sh", "lifecycle.sh"]);
    expect(event.parent).toEqual({
      pid: 24200,
      executable: "/bin/bash",
      args: ["bash"],
      cwd: "/usr/share/elasticsearch/",
      entityId: "bWluaWt1YmU6MTkyNTA0Njg1Nzc1MjoyNDIwMA==",
    });
  });

  it("decodes the three testdata events; the first, without top-level time, at its start_time", () => {
    const events = documents("testdata_events.json").map(eventOf);
    expect(events.map((e) => [e.process.pid, e.process.ppid, e.process.executable, e.time])).toEqual([
      [68790, 68598, "/usr/bin/netserver", Date.parse("2022-10-18T03:16:18.273Z")],
      [68862, 68635, "/starwars-docker", Date.parse("2022-10-18T03:16:21.373Z")],
      [68920, 68578, "/starwars-docker", Date.parse("2022-10-18T03:16:22.225Z")],
    ]);
    expect(events.map((e) => e.host.name)).toEqual(["my-node", "my-node", "my-node"]);
    expect(events[0]!.process.args).toEqual(["netserver", "-D"]);
    expect(events[1]!.process.args).toEqual(["starwars-docker", "--port", "80", "--host", "0.0.0.0"]);
    expect(events[0]!.container).toEqual({
      id: "19a02291e106ce6227b684197be232ea57c4e1a5ab2604a12608c325d701c7f4",
      image: "docker.io/tgraf/netperf:latest",
    });
    expect(events[0]!.parent?.args).toEqual([
      "containerd-shim-runc-v2",
      "-namespace",
      "k8s.io",
      "-id",
      "c97e298d5d4485f4710d3837b7d689aba6078e0c008af713053ac361cd8b0018",
      "-address",
      "/run/containerd/containerd.sock",
    ]);
    expect(new Set(events.map((e) => e.source.eventId)).size).toBe(3);
  });
});

describe("tetragonDecoder: exec without fork (the docs' curl sample, parent and child both pid 52699)", () => {
  const curl = () => sample("docs_concepts_events_curl_exec.json");
  // base64 of gke-john-632-default-pool-7041cac0-9s95:13548645245839:52689: bash's own parent.
  const bashParentExecId = "Z2tlLWpvaG4tNjMyLWRlZmF1bHQtcG9vbC03MDQxY2FjMC05czk1OjEzNTQ4NjQ1MjQ1ODM5OjUyNjg5";

  it("makes the earlier image's parent the kernel parent, never the process itself", () => {
    const event = eventOf(curl());
    expect(event.process).toEqual({
      pid: 52699,
      ppid: 52689,
      executable: "/usr/bin/curl",
      args: ["curl", "https://ebpf.io/applications/#tetragon"],
      cwd: "/",
      // start_time is this exec's time, not the process's: left out.
      entityId: "Z2tlLWpvaG4tNjMyLWRlZmF1bHQtcG9vbC03MDQxY2FjMC05czk1OjEzNTQ4Njc0MzIxMzczOjUyNjk5",
    });
    expect(event.parent).toEqual({ pid: 52689, entityId: bashParentExecId });
    expect(event.time).toBe(Date.parse("2023-10-06T22:03:57.700Z"));
    expect(event.host.name).toBe("gke-john-632-default-pool-7041cac0-9s95");
  });

  it("lets lineage chain the earlier image (bash -c …) as the same process", async () => {
    // bash's own process_exec, as Tetragon exported it before curl's; its binary moved to /tmp so that the
    // alert shows how lineage saw it.
    const bashProcess = { ...at(curl(), "process_exec", "parent"), binary: "/tmp/loader" };
    const bashExec = {
      process_exec: {
        process: bashProcess,
        parent: { exec_id: bashParentExecId, pid: 52689, binary: "/usr/bin/bash", flags: "execve clone" },
      },
      node_name: "gke-john-632-default-pool-7041cac0-9s95",
      time: "2023-10-06T22:03:57.696889000Z",
    };
    const curlExec = curl();
    at(curlExec, "process_exec", "parent")["binary"] = "/tmp/loader";
    const { alerts } = await pipeline([bashExec, curlExec]);
    expect(alerts.map((a) => [a.utility.name, a.location.path, a.location.kind])).toEqual([
      ["curl", "/tmp/loader", "exec-chain"],
    ]);
    expect(alerts[0]!.process.pid).toBe(52699);
  });

  it("takes the kernel parent from ancestors when the event carries them, skipping same-pid images", () => {
    const value = curl();
    const exec = at(value, "process_exec");
    exec["ancestors"] = [
      proc(52699, "/bin/sh", "-c x", execId(52699, 1), execId(52689, 0)),
      proc(52689, "/usr/bin/containerd-shim", "-id abc", execId(52689, 0), execId(1, 0)),
      proc(1, "/sbin/init", "", execId(1, 0), ""),
    ];
    at(exec, "parent")["parent_exec_id"] = execId(52699, 1);
    const event = eventOf(value);
    expect(event.process.ppid).toBe(52689);
    expect(event.parent).toEqual({
      pid: 52689,
      executable: "/usr/bin/containerd-shim",
      args: ["containerd-shim", "-id", "abc"],
      cwd: "/tmp/",
      entityId: execId(52689, 0),
    });
    expect(event.ancestors).toEqual([{ pid: 1, executable: "/sbin/init", args: ["init"], cwd: "/tmp/" }]);
  });

  it("leaves ppid unknown when the kernel parent is not in the event", () => {
    const value = curl();
    at(value, "process_exec", "parent")["parent_exec_id"] = at(value, "process_exec", "process")["exec_id"];
    const event = eventOf(value);
    expect(event.process.ppid).toBe(0);
    expect(event.parent).toBeUndefined();
  });
});

describe("tetragonDecoder: mapping details", () => {
  const nc = () => sample("isovalent-book_nc_process_exec.json");

  it("carries ancestors nearest first, after the parent", () => {
    const value = nc();
    at(value, "process_exec")["ancestors"] = [
      proc(24200, "/bin/bash", "", "bWluaWt1YmU6MTkyNTA0Njg1Nzc1MjoyNDIwMA==", execId(1, 0)),
      proc(1, "/sbin/init", "splash", execId(1, 0), ""),
    ];
    expect(eventOf(value).ancestors).toEqual([
      { pid: 24200, executable: "/bin/bash", args: ["bash"], cwd: "/tmp/" },
      { pid: 1, executable: "/sbin/init", args: ["init", "splash"], cwd: "/tmp/" },
    ]);
  });

  it("puts an ancestors list that runs from init down in order, and drops the parent when listed", () => {
    const value = nc();
    const parentId = "bWluaWt1YmU6MzM0OTc2MDUxNjExMTozODMxMg==";
    const grandId = "bWluaWt1YmU6MTkyNTA0Njg1Nzc1MjoyNDIwMA==";
    // From init down: Tetragon's order reversed. The parent names bash as its parent, so bash comes first.
    at(value, "process_exec")["ancestors"] = [
      proc(1, "/sbin/init", "", execId(1, 0), ""),
      proc(24200, "/bin/bash", "", grandId, execId(1, 0)),
    ];
    expect(eventOf(value).ancestors?.map((a) => a.pid)).toEqual([24200, 1]);
    const withParent = nc();
    at(withParent, "process_exec")["ancestors"] = [
      proc(38312, "/usr/bin/sh", "lifecycle.sh", parentId, grandId),
      proc(24200, "/bin/bash", "", grandId, execId(1, 0)),
    ];
    expect(eventOf(withParent).ancestors?.map((a) => a.pid)).toEqual([24200]);
  });

  it("flags truncArgs", () => {
    const value = nc();
    at(value, "process_exec", "process")["flags"] = "execve clone truncArgs";
    expect(eventOf(value).process.argsTruncated).toBe(true);
  });

  it("does not take start_time for the process start after an exec without clone", () => {
    const value = nc();
    at(value, "process_exec", "process")["flags"] = "execve";
    expect(eventOf(value).process.start).toBeUndefined();
  });

  it("names the parent by parent_exec_id when Tetragon had no parent object", () => {
    const value = nc();
    delete at(value, "process_exec")["parent"];
    expect(eventOf(value).parent).toEqual({
      pid: 38312,
      entityId: "bWluaWt1YmU6MzM0OTc2MDUxNjExMTozODMxMg==",
    });
  });

  it("takes the user name when Tetragon resolved it, and the docker id without a pod", () => {
    const value = nc();
    const process = at(value, "process_exec", "process");
    process["user"] = { name: "elastic" };
    delete process["pod"];
    const event = eventOf(value);
    expect(event.user).toEqual({ id: "0", name: "elastic", auditId: "4294967295" });
    expect(event.container).toEqual({ id: "e6af4dff4ea3b8d50313c59f" });
  });

  it("uses the default host without node_name", () => {
    const value = nc();
    delete value["node_name"];
    expect(eventOf(value).host).toEqual({ name: "stream-host" });
  });

  it.each(["process_kprobe", "process_tracepoint", "process_lsm", "process_uprobe", "process_loader"])(
    "skips %s",
    (type) => {
      const value = { [type]: at(nc(), "process_exec"), node_name: "minikube", time: "2022-02-01T18:01:56Z" };
      expect(tetragonDecoder.matches(value)).toBe(true);
      expect(decode(value)).toEqual({ kind: "skipped", line: 5, reason: `tetragon ${type}` });
    },
  );

  it("skips an event type it does not know yet", () => {
    expect(decode({ process_future: { process: {} }, node_name: "n" })).toMatchObject({
      kind: "skipped",
      reason: "tetragon process_future",
    });
  });

  it("matches Tetragon responses only", () => {
    expect(tetragonDecoder.matches({ process_exec: {}, node_name: "n" })).toBe(true);
    expect(tetragonDecoder.matches({ process_exec: {}, time: "2022-02-01T18:01:56Z" })).toBe(true);
    expect(tetragonDecoder.matches({ process_exec: {} })).toBe(false);
    expect(tetragonDecoder.matches({ process_exec: {}, process_exit: {}, node_name: "n" })).toBe(false);
    expect(tetragonDecoder.matches({ process_exec: "x", node_name: "n" })).toBe(false);
    expect(tetragonDecoder.matches({ process: { pid: 1 }, "@timestamp": "x", node_name: "n" })).toBe(false);
    expect(tetragonDecoder.matches({ output_fields: {}, rule: "r", time: "x" })).toBe(false);
  });
});

describe("splitTetragonArgs (the inverse of Tetragon's ArgsDecoder)", () => {
  it.each([
    ["", []],
    ["-D", ["-D"]],
    ["--port 80 --host 0.0.0.0", ["--port", "80", "--host", "0.0.0.0"]],
    [
      '-c "curl https://ebpf.io/applications/#tetragon"',
      ["-c", "curl https://ebpf.io/applications/#tetragon"],
    ],
    // Tetragon's stray leading space when argv[1] is the quoted one.
    [' "a b" c', ["a b", "c"]],
    ['"a b" "c d"', ["a b", "c d"]],
    // Inner quotes are not escaped: the closing quote leaves an even number inside.
    ['-c "nslookup "x" 1.1.1.1"', ["-c", 'nslookup "x" 1.1.1.1']],
    ['-c "echo "hello world""', ["-c", 'echo "hello world"']],
    ["-c \"echo 'a b'\"", ["-c", "echo 'a b'"]],
    // Single quotes and backslashes are never syntax: they are argv as it was.
    ["it's \\d+ a\\ b", ["it's", "\\d+", "a\\", "b"]],
    // Quotes without a space inside are literal: Tetragon only quotes arguments that hold one.
    ['"quoted" x', ['"quoted"', "x"]],
    ['"unterminated x', ['"unterminated', "x"]],
    // Empty arguments: Tetragon joins them with their spaces.
    ["a  b", ["a", "", "b"]],
    ["a ", ["a", ""]],
  ])("%j → %j", (text, args) => {
    expect(splitTetragonArgs(text)).toEqual({ args, truncated: false });
  });

  it("caps the argument count and flags the cut", () => {
    const { args, truncated } = splitTetragonArgs("x ".repeat(MAX_ARGS + 10));
    expect(args).toHaveLength(MAX_ARGS);
    expect(truncated).toBe(true);
    const quoted = splitTetragonArgs('"a b" '.repeat(MAX_ARGS + 10));
    expect(quoted.args).toHaveLength(MAX_ARGS);
    expect(quoted.truncated).toBe(true);
  });

  it("stays linear on hostile quoting", () => {
    const started = performance.now();
    splitTetragonArgs('"a "b '.repeat(40_000));
    splitTetragonArgs(`"${" ".repeat(200_000)}`);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  /** What Tetragon writes for an argv after argv[0]. */
  const encode = (argv: readonly string[]): string => {
    let out = "";
    for (const a of argv) {
      if (a.includes(" ")) out = `${out} "${a}"`;
      else out = out === "" ? a : `${out} ${a}`;
    }
    return out;
  };

  it("undoes Tetragon's encoding for any argv without double quotes", () => {
    const arg = fc.string({
      unit: fc.constantFrom("a", " ", "'", "\\", "-", "/"),
      minLength: 1,
      maxLength: 8,
    });
    fc.assert(
      fc.property(fc.array(arg, { maxLength: 8 }), (argv) => {
        expect(splitTetragonArgs(encode(argv)).args).toEqual(argv);
      }),
    );
  });
});

describe("pidFromExecId", () => {
  it.each([
    ["bWluaWt1YmU6MzM0OTc2NzgxOTUzNTozODMxNA==", 38314],
    ["Z2tlLWpvaG4tNjMyLWRlZmF1bHQtcG9vbC03MDQxY2FjMC05czk1OjEzNTQ4NjQ1MjQ1ODM5OjUyNjg5", 52689],
    [Buffer.from("node:1:x").toString("base64"), undefined],
    [Buffer.from("1234").toString("base64"), undefined],
    ["not base64!", undefined],
    ["", undefined],
  ])("%s → %s", (id, pid) => {
    expect(pidFromExecId(id)).toBe(pid);
  });
});

describe("tetragonDecoder through the pipeline", () => {
  it("rejects a stored parent whose exec_id is not the one the event names (PID reuse)", async () => {
    // pid 300 ran /tmp/evil and exited; the pid was reused by a clean bash that ran nslookup.
    const evil = execEvent(
      proc(300, "/tmp/evil", "", execId(300, 1), execId(1, 0)),
      proc(1, "/sbin/init", "", execId(1, 0), ""),
      "2026-01-05T10:00:00.100Z",
    );
    const bash = proc(300, "/usr/bin/bash", "", execId(300, 2), execId(1, 0), {
      start_time: "2026-01-05T10:00:05.000Z",
    });
    const nslookup = (parent: Obj) =>
      execEvent(
        proc(301, "/usr/bin/nslookup", "exfil.example.com", execId(301, 3), String(parent["exec_id"]), {
          start_time: "2026-01-05T10:00:06.000Z",
        }),
        parent,
        "2026-01-05T10:00:06.000Z",
      );
    // Without the bash exec in the stream, the store still holds /tmp/evil under pid 300.
    const reused = await pipeline([evil, nslookup(bash)]);
    expect(reused.alerts).toEqual([]);
    // The control: the same parent exec_id as the stored record is that record.
    const same = await pipeline([evil, nslookup(proc(300, "/tmp/evil", "", execId(300, 1), execId(1, 0)))]);
    expect(same.alerts.map((a) => [a.utility.name, a.location.path, a.location.kind])).toEqual([
      ["nslookup", "/tmp/evil", "ancestor"],
    ]);
  });

  it("finds the same attack chain as every source: a /tmp script that runs nslookup", async () => {
    const shExec = execEvent(
      proc(200, "/bin/sh", "/tmp/x.sh", execId(200, 10), execId(100, 5)),
      proc(100, "/usr/bin/bash", "", execId(100, 5), execId(1, 0)),
      "2026-01-05T10:00:00.100Z",
    );
    const nslookupExec = execEvent(
      proc(201, "/usr/bin/nslookup", "exfil.example.com", execId(201, 11), execId(200, 10), {
        start_time: "2026-01-05T10:00:00.200Z",
      }),
      proc(200, "/bin/sh", "/tmp/x.sh", execId(200, 10), execId(100, 5)),
      "2026-01-05T10:00:00.200Z",
    );
    const { alerts } = await pipeline([shExec, nslookupExec]);
    expect(alerts.map((a) => [a.utility.name, a.location.path, a.location.kind])).toEqual([
      ["nslookup", "/tmp/x.sh", "script"],
    ]);
    // The telemetry's own parent is enough when the sh exec was never seen.
    const alone = await pipeline([nslookupExec]);
    expect(alone.alerts.map((a) => [a.utility.name, a.location.path])).toEqual([["nslookup", "/tmp/x.sh"]]);
  });
});

describe("tetragonDecoder on hostile data", () => {
  const nc = () => sample("isovalent-book_nc_process_exec.json");
  const withProcess = (edit: (p: Obj) => void): Obj => {
    const value = nc();
    edit(at(value, "process_exec", "process"));
    return value;
  };

  let deep: unknown = "bottom";
  for (let i = 0; i < 100_000; i++) deep = i % 2 === 0 ? { process_exec: deep } : [deep];

  it.each([
    ["not an object", "exec", "tetragon: record is not a JSON object"],
    ["no event", { node_name: "n" }, "tetragon: no event in the record (process_exec, process_exit, …)"],
    ["process_exec a string", { process_exec: "x" }, "tetragon: process_exec is not an object"],
    ["process missing", { process_exec: {} }, "tetragon: process_exec.process is missing"],
    [
      "process an array",
      { process_exec: { process: [] } },
      "tetragon: process_exec.process is not an object",
    ],
    ["pid missing", withProcess((p) => delete p["pid"]), "tetragon: process_exec.process.pid is missing"],
    [
      "pid a fraction",
      withProcess((p) => (p["pid"] = 1.5)),
      "tetragon: process_exec.process.pid is not a number",
    ],
    [
      "binary missing",
      withProcess((p) => delete p["binary"]),
      "tetragon: process_exec.process.binary is missing",
    ],
    [
      "binary empty",
      withProcess((p) => (p["binary"] = "")),
      "tetragon: process_exec.process.binary is not a non-empty string",
    ],
    [
      "arguments an array",
      withProcess((p) => (p["arguments"] = ["a"])),
      "tetragon: process_exec.process.arguments is not a string",
    ],
    [
      "parent a string",
      (() => {
        const v = nc();
        at(v, "process_exec")["parent"] = "sh";
        return v;
      })(),
      "tetragon: process_exec.parent is not an object",
    ],
    ["garbage time", { ...nc(), time: "yesterday" }, "tetragon: time is not a date"],
    [
      "no time at all",
      (() => {
        const v = withProcess((p) => delete p["start_time"]);
        delete v["time"];
        return v;
      })(),
      "tetragon: time and process_exec.process.start_time are missing",
    ],
    ["deeply nested", { process_exec: { process: deep } }, "tetragon: process_exec.process is not an object"],
  ])("%s → malformed", (_name, value, reason) => {
    expect(decode(value)).toMatchObject({ kind: "malformed", reason });
  });

  it("skips an exit it cannot use, rather than failing it", () => {
    expect(decode({ process_exit: {}, node_name: "n" })).toEqual({
      kind: "skipped",
      line: 5,
      reason: "tetragon process_exit without process.pid",
    });
  });

  it("never throws, whatever the value", () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expect(["event", "skipped", "malformed"]).toContain(decode(value).kind);
      }),
    );
    fc.assert(
      fc.property(fc.anything(), (body) => {
        const out = decode({ process_exec: body, node_name: "n" });
        expect(["event", "skipped", "malformed"]).toContain(out.kind);
        if (out.kind !== "event") expect(out.reason).toMatch(/^tetragon/);
      }),
    );
  });

  /** Every path to a value in a document, as key lists. */
  const paths = (value: unknown, prefix: string[] = []): string[][] => {
    if (typeof value !== "object" || value === null) return [prefix];
    const out: string[][] = prefix.length > 0 ? [prefix] : [];
    for (const [key, child] of Object.entries(value)) out.push(...paths(child, [...prefix, key]));
    return out;
  };
  const mutate = (value: unknown, path: string[], replacement: unknown, remove: boolean): void => {
    let cur = value as Obj;
    for (const key of path.slice(0, -1)) cur = cur[key] as Obj;
    const last = path[path.length - 1]!;
    if (remove) delete cur[last];
    else cur[last] = replacement;
  };

  it.each(readdirSync(samples).filter((f) => f.endsWith(".json")))(
    "never throws on a mutated %s: an event, a skip or a reasoned malformed",
    (file) => {
      const base = documents(file)[documents(file).length - 1]!;
      const all = paths(base);
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat(all.length - 1), fc.anything(), fc.boolean()), {
            minLength: 1,
            maxLength: 4,
          }),
          (edits) => {
            const value = structuredClone(base);
            for (const [i, replacement, remove] of edits) {
              try {
                mutate(value, all[i]!, replacement, remove);
              } catch {
                // An earlier edit removed or replaced the path's parent: nothing to edit.
              }
            }
            const out = decode(value);
            expect(["event", "skipped", "malformed"]).toContain(out.kind);
            if (out.kind !== "event") expect(out.reason.length).toBeGreaterThan(0);
          },
        ),
        { numRuns: 300 },
      );
    },
  );
});
