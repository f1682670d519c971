/**
 * One audit event while its records are being gathered (lib/telemetry/sources/auditd.ts), as a plain value:
 * what the assembler kept of each record it has seen so far. The same value is what a Lambda invocation
 * hands to the next when an event's records straddle two invocations (lib/pipeline/pending-events.ts): it can
 * be merged with another part of the same event in any order, told whether it is enough to judge, encoded as
 * JSON for the table, and built into the event.
 */

import {
  Corrupt,
  type Json,
  optional,
  readArray,
  readNumber,
  readObject,
  readStored,
  readString,
} from "../../stored-json.js";
import type { DecodeOutput, Skipped } from "../decoder.js";
import type { ExecEvent, ExecProcess } from "../exec-event.js";
import { FLAT_COPIES, type StringCopies } from "../string-pool.js";
import { hexBytes, PROCTITLE_MAX_BYTES, type Proctitle } from "./auditd-values.js";

export interface SyscallFacts {
  line: number;
  verdict: "exec" | "failed" | "other";
  syscall: string;
  pid: number;
  ppid: number;
  uid: string | undefined;
  auid: string | undefined;
  ses: string | undefined;
  userName: string | undefined;
  exe: string | undefined;
}

export interface Piece {
  hex: boolean;
  text: string;
}

export interface ChunkedArg {
  /** `aN_len`: the argument's logged length (hex digits when encoded), to tell a cut argument. */
  declared: number | undefined;
  pieces: (Piece | undefined)[];
}

export interface AuditFragment {
  /** `${host}:${stamp}:${serial}`: the event's id, whichever part of it this is. */
  key: string;
  host: string;
  stamp: string;
  serial: number;
  time: number;
  /** Line of the first record seen (of this part, in its input). */
  line: number;
  records: number;
  syscall: SyscallFacts | undefined;
  argc: number | undefined;
  execve: boolean;
  args: (string | undefined)[];
  chunked: Map<number, ChunkedArg> | undefined;
  argChars: number;
  truncated: boolean;
  cwd: string | undefined;
  path0: string | undefined;
  proctitle: Proctitle | undefined;
  /** EOE or PROCTITLE was seen: the kernel's last records of the event. */
  tail: boolean;
}

export function newFragment(
  key: string,
  host: string,
  stamp: string,
  serial: number,
  time: number,
  line: number,
): AuditFragment {
  return {
    key,
    host,
    stamp,
    serial,
    time,
    line,
    records: 0,
    syscall: undefined,
    argc: undefined,
    execve: false,
    args: [],
    chunked: undefined,
    argChars: 0,
    truncated: false,
    cwd: undefined,
    path0: undefined,
    proctitle: undefined,
    tail: false,
  };
}

/**
 * `from` merged into `into` (the same event): every record kept once, whichever part saw it first. The order
 * of merging does not matter: a field is taken from whichever part has it, and two parts that both have it
 * saw the same record (a redelivery).
 */
export function mergeFragment(into: AuditFragment, from: AuditFragment): AuditFragment {
  into.records += from.records;
  into.syscall ??= from.syscall;
  into.argc ??= from.argc;
  into.execve ||= from.execve;
  for (let i = 0; i < from.args.length; i++) {
    if (into.args[i] === undefined && from.args[i] !== undefined) into.args[i] = from.args[i];
  }
  if (from.chunked !== undefined) {
    into.chunked ??= new Map();
    for (const [index, chunk] of from.chunked) {
      const mine = into.chunked.get(index);
      if (mine === undefined) {
        into.chunked.set(index, { declared: chunk.declared, pieces: [...chunk.pieces] });
        continue;
      }
      mine.declared ??= chunk.declared;
      for (let i = 0; i < chunk.pieces.length; i++) mine.pieces[i] ??= chunk.pieces[i];
    }
  }
  into.argChars += from.argChars;
  into.truncated ||= from.truncated;
  into.cwd ??= from.cwd;
  into.path0 ??= from.path0;
  into.proctitle ??= from.proctitle;
  into.tail ||= from.tail;
  into.time = Math.min(into.time, from.time);
  return into;
}

/** Every argument the EXECVE records announce (`argc`) is there, long ones with all their chunks. */
function argsComplete(f: AuditFragment): boolean {
  if (!f.execve || f.argc === undefined) return false;
  for (let i = 0; i < f.argc; i++) {
    if (f.args[i] !== undefined) continue;
    const chunked = f.chunked?.get(i);
    if (chunked === undefined || chunked.declared === undefined) return false;
    let units = 0;
    for (const piece of chunked.pieces) {
      if (piece === undefined) return false;
      units += piece.text.length;
    }
    if (units < chunked.declared) return false;
  }
  return true;
}

/**
 * How far a part of an event goes:
 * - `complete`: the kernel's last record (PROCTITLE or EOE) is in, and everything the event needs;
 * - `sufficient`: everything the rule reads is in (SYSCALL, every argument, CWD, PATH item 0), or the syscall
 *   is not a successful exec: judging now gives the verdict the whole event would;
 * - `head`: a successful exec whose arguments, working directory or executed path are still to come;
 * - `tail`: records without their SYSCALL;
 * - `trailing`: only records no verdict reads (a second PATH, PROCTITLE, EOE).
 * A part whose records were damaged (a malformed EXECVE) and whose last record is in cannot get better: it
 * is sufficient as it is.
 */
export type FragmentState = "complete" | "sufficient" | "head" | "tail" | "trailing";

export function fragmentState(f: AuditFragment): FragmentState {
  const sys = f.syscall;
  if (sys === undefined) {
    return f.execve || f.cwd !== undefined || f.path0 !== undefined ? "tail" : "trailing";
  }
  if (sys.verdict !== "exec") return f.tail ? "complete" : "sufficient";
  // CWD too, although PROCTITLE or EOE may already be in: delivered out of order, the record between them
  // can still be on its way. An exec logged without CWD waits out the wait (pending-events.ts).
  const enough = (f.path0 !== undefined && f.cwd !== undefined && argsComplete(f)) || (f.truncated && f.tail);
  if (!enough) return "head";
  return f.tail ? "complete" : "sufficient";
}

const skippedAt = (line: number, reason: string): Skipped => ({ kind: "skipped", line, reason });

const joinPieces = (pieces: readonly Piece[]): string => {
  if (pieces.every((p) => p.hex)) return hexBytes(pieces.map((p) => p.text).join("")).toString("utf8");
  // Mixed forms do not come from the kernel, but bytes are the one thing both forms agree on.
  return Buffer.concat(pieces.map((p) => (p.hex ? hexBytes(p.text) : Buffer.from(p.text, "utf8")))).toString(
    "utf8",
  );
};

/** EXECVE args when logged (chunks joined, holes and shortfalls flagged), else PROCTITLE; copied by `own`. */
function argsOf(f: AuditFragment, own: StringCopies): { args: string[]; truncated: boolean } {
  let truncated = f.truncated;
  if (!f.execve) {
    if (f.proctitle === undefined) return { args: [], truncated: true };
    // The kernel keeps only the first PROCTITLE_MAX_BYTES and trims a trailing NUL.
    if (f.proctitle.bytes >= PROCTITLE_MAX_BYTES - 1) truncated = true;
    return { args: own.getAll(f.proctitle.args), truncated };
  }
  const whole = [...f.args];
  if (f.chunked !== undefined) {
    for (const [index, chunked] of f.chunked) {
      const pieces: Piece[] = [];
      let units = 0;
      for (const piece of chunked.pieces) {
        if (piece === undefined) break;
        pieces.push(piece);
        units += piece.text.length;
      }
      if (pieces.length < chunked.pieces.length) truncated = true;
      if (chunked.declared !== undefined && units < chunked.declared) truncated = true;
      if (pieces.length > 0 && whole[index] === undefined) whole[index] = joinPieces(pieces);
    }
  }
  const argc = f.argc ?? whole.length;
  let kept = 0;
  while (kept < argc && kept < whole.length && whole[kept] !== undefined) kept++;
  // Of its exact length: grown by push, a list of three would keep room for seventeen as long as it is held.
  const args = new Array<string>(kept);
  for (let i = 0; i < kept; i++) args[i] = own.get(whole[i]!);
  if (args.length < argc || f.argc === undefined) truncated = true;
  // The first EXECVE record was lost (or a0 was bad): the kernel's PROCTITLE still has a prefix of argv.
  if (args.length === 0 && argc !== 0 && f.proctitle !== undefined) {
    return { args: own.getAll(f.proctitle.args), truncated: true };
  }
  return { args, truncated };
}

/**
 * The decode output of an event from what was gathered. `line` is where the output is reported: by default
 * the SYSCALL's line; a part completed from stored parts is reported at its own first line in this input.
 * The event's strings are copies (`own`: flat, or a decoder's pool), not slices of the audit lines, so that
 * what lineage keeps of the event does not keep those lines alive (flat-string.ts).
 */
export function buildFragment(
  f: AuditFragment,
  line?: number,
  own: StringCopies = FLAT_COPIES,
): DecodeOutput {
  const sys = f.syscall;
  if (sys === undefined) return skippedAt(line ?? f.line, "incomplete event: no SYSCALL record");
  const at = line ?? sys.line;
  if (sys.verdict === "other") return skippedAt(at, `not an exec: syscall ${sys.syscall}`);
  if (sys.verdict === "failed") return skippedAt(at, "failed execve");
  const executable = sys.exe ?? f.path0;
  if (executable === undefined) return skippedAt(at, "exec without an executable (no exe, no PATH)");

  const { args, truncated } = argsOf(f, own);
  const proc: ExecProcess = { pid: sys.pid, ppid: sys.ppid, executable: own.get(executable), args };
  const invoked = f.path0;
  if (invoked !== undefined && invoked !== executable) {
    proc.invokedPath = own.get(invoked);
    // The kernel runs a shebang script as `interpreter [arg] script …`: PATH item 0 is the script.
    if (args.indexOf(invoked, 1) > 0) proc.script = proc.invokedPath;
  }
  if (truncated) proc.argsTruncated = true;
  if (f.cwd !== undefined) proc.cwd = own.get(f.cwd);
  if (sys.ses !== undefined) proc.sessionId = own.get(sys.ses);

  const user: ExecEvent["user"] = {};
  if (sys.uid !== undefined) user.id = own.get(sys.uid);
  if (sys.userName !== undefined) user.name = own.get(sys.userName);
  if (sys.auid !== undefined) user.auditId = own.get(sys.auid);

  const event: ExecEvent = {
    host: { name: own.get(f.host) },
    user,
    process: proc,
    time: f.time,
    source: { format: "auditd", eventId: f.key, sequence: f.serial },
  };
  return { kind: "event", event, line: at };
}

/*
 * JSON form, for the table (short keys: write units are per KB):
 *   {k key, h host, st stamp, se serial, t time, r records, sy syscall, ac argc, ex execve, a args,
 *    ch [[index, declared, [[hex, text] | null …]] …], tr truncated, cw cwd, p0 path0, pt {a, b}, tl tail}
 *   syscall {v verdict, s syscall, p pid, pp ppid, u uid, au auid, se ses, un userName, x exe}
 */

export function encodeFragment(f: AuditFragment): Json {
  const out: Json = { k: f.key, h: f.host, st: f.stamp, se: f.serial, t: f.time, r: f.records };
  const sys = f.syscall;
  if (sys !== undefined) {
    const s: Json = { v: sys.verdict, s: sys.syscall, p: sys.pid, pp: sys.ppid };
    if (sys.uid !== undefined) s["u"] = sys.uid;
    if (sys.auid !== undefined) s["au"] = sys.auid;
    if (sys.ses !== undefined) s["se"] = sys.ses;
    if (sys.userName !== undefined) s["un"] = sys.userName;
    if (sys.exe !== undefined) s["x"] = sys.exe;
    out["sy"] = s;
  }
  if (f.argc !== undefined) out["ac"] = f.argc;
  if (f.execve) out["ex"] = 1;
  if (f.args.length > 0) out["a"] = f.args.map((a) => a ?? null);
  if (f.chunked !== undefined && f.chunked.size > 0) {
    out["ch"] = [...f.chunked].map(([index, c]) => [
      index,
      c.declared ?? null,
      c.pieces.map((p) => (p === undefined ? null : [p.hex ? 1 : 0, p.text])),
    ]);
  }
  if (f.truncated) out["tr"] = 1;
  if (f.cwd !== undefined) out["cw"] = f.cwd;
  if (f.path0 !== undefined) out["p0"] = f.path0;
  if (f.proctitle !== undefined) out["pt"] = { a: f.proctitle.args, b: f.proctitle.bytes };
  if (f.tail) out["tl"] = 1;
  return out;
}

/** The fragment from its JSON form, or undefined for anything else (counted by the caller). */
export const decodeFragment = (value: unknown): AuditFragment | undefined => readStored(value, readFragment);

function readFragment(value: unknown): AuditFragment {
  const j = readObject(value);
  const f = newFragment(
    readString(j["k"]),
    readString(j["h"]),
    readString(j["st"]),
    readNumber(j["se"]),
    readNumber(j["t"]),
    0,
  );
  f.records = readNumber(j["r"]);
  if (j["sy"] !== undefined) {
    const s = readObject(j["sy"]);
    const verdict = s["v"];
    if (verdict !== "exec" && verdict !== "failed" && verdict !== "other") throw new Corrupt();
    f.syscall = {
      line: 0,
      verdict,
      syscall: readString(s["s"]),
      pid: readNumber(s["p"]),
      ppid: readNumber(s["pp"]),
      uid: optional(s["u"], readString),
      auid: optional(s["au"], readString),
      ses: optional(s["se"], readString),
      userName: optional(s["un"], readString),
      exe: optional(s["x"], readString),
    };
  }
  f.argc = optional(j["ac"], readNumber);
  f.execve = j["ex"] === 1;
  f.args = (optional(j["a"], readArray) ?? []).map((a) => (a === null ? undefined : readString(a)));
  const chunked = optional(j["ch"], readArray);
  if (chunked !== undefined) {
    f.chunked = new Map();
    for (const entry of chunked) {
      const [index, declared, pieces] = readArray(entry);
      f.chunked.set(readNumber(index), {
        declared: declared === null ? undefined : readNumber(declared),
        pieces: readArray(pieces).map((p) => {
          if (p === null) return undefined;
          const [hex, text] = readArray(p);
          return { hex: hex === 1, text: readString(text) };
        }),
      });
    }
  }
  f.truncated = j["tr"] === 1;
  f.cwd = optional(j["cw"], readString);
  f.path0 = optional(j["p0"], readString);
  if (j["pt"] !== undefined) {
    const pt = readObject(j["pt"]);
    f.proctitle = { args: readArray(pt["a"]).map(readString), bytes: readNumber(pt["b"]) };
  }
  f.tail = j["tl"] === 1;
  return f;
}
