import { createHash } from "node:crypto";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import {
  Corrupt,
  isObject,
  type Json,
  optional,
  readArray,
  readNumber,
  readStored,
  readString,
} from "../stored-json.js";
import {
  MAX_ARGS,
  MAX_CHAIN,
  MAX_DEPTH,
  type ProcessImage,
  type ProcessNode,
  type ProcessRecord,
} from "./process-record.js";
import { fitRecord } from "./record-trim.js";

/**
 * ProcessRecord ⇄ DynamoDB item (DESIGN §5). One table for lineage and dedup, hash key `pk` only:
 *
 *   pk        S  `p|${host}|${pid}` (a host name too long for a key is replaced by its SHA-256)
 *   r         S  the record as compact JSON (below); host and pid are not repeated: they come from the key
 *   z         B  instead of `r`, the same JSON deflated, when it is longer than PACK_ABOVE_BYTES
 *   expiresAt N  epoch seconds, the table's TTL attribute
 *
 * One string attribute rather than a map: it is smaller (no type tag per field), costs one parse, and a
 * record written by an older or newer version is recognised by its `v` instead of failing halfway.
 * JSON keys are short because write units are per 1 KB and every batch rewrites its records:
 *
 *   record  {v, pp ppid, s start, sid sessionId, …image, u user, c chain, a ancestors, o incomplete,
 *            id eventId}
 *   node    {p pid, …image, u user {i id, n name}, c chain}      (an ancestor: never its own ancestors)
 *   image   {e executable, ip invokedPath, sc script, g args, d cwd, t time, q seq, b by (the writer's tag)}
 *
 * Absent and empty fields are omitted.
 *
 * The same table holds, under their own key prefixes: dedup windows (`d|`, lib/alerts/dynamodb-dedup-store.ts),
 * delivery claims (`publish|`, `slack|`, `replay|`: lib/alerts/dynamodb-delivery-claims.ts), and per host the
 * audit events an invocation handed to the next (`q|${host}`: `s` their JSON, `ver` the version a conditional
 * write checks; lib/pipeline/pending-events.ts).
 */
export type DynamoItem = Record<string, AttributeValue>;

export const PK = "pk";
export const RECORD_ATTRIBUTE = "r";
/** The record's JSON deflated (raw DEFLATE), instead of `r`, when that brings the item under a write unit. */
export const PACKED_ATTRIBUTE = "z";
/**
 * JSON longer than this is deflated: with the key, the TTL and the attribute names, an item of a longer `r`
 * would pass 1 KB and cost a second write unit (the records that are kept carry their ancestors, which repeat
 * paths and arguments that DEFLATE folds).
 */
export const PACK_ABOVE_BYTES = 900;
export const TTL_ATTRIBUTE = "expiresAt";
/** A host's pending auditd events (lib/pipeline/pending-events.ts) and the version it was written with. */
export const PENDING_ATTRIBUTE = "s";
export const VERSION_ATTRIBUTE = "ver";

const FORMAT_VERSION = 1;

/**
 * The JSON stays under 3.5 KB whatever the telemetry holds: DynamoDB bills a read per 4 KB and a write per
 * 1 KB, and its 400 KB item limit would otherwise fail a whole BatchWriteItem. A record is cut (never
 * refused) to fit, evidence first: lib/lineage/record-trim.ts.
 */
export const MAX_RECORD_JSON_BYTES = 3_584;

/** An event id longer than this (hostile telemetry) is not stored: the record simply cannot be judged again. */
const MAX_EVENT_ID = 256;

/** DynamoDB allows 2048 bytes of partition key; a longer host (hostile telemetry) is hashed. */
const MAX_KEY_BYTES = 1024;

export function pkOf(host: string, pid: number | string): string {
  const pk = `p|${host}|${pid}`;
  return Buffer.byteLength(pk) <= MAX_KEY_BYTES ? pk : `p|#${digest(host)}|${pid}`;
}

/** The item key of a host's pending-event state: `q|${host}` (hashed like process keys when too long). */
export function pendingKey(host: string): string {
  const pk = `q|${host}`;
  return Buffer.byteLength(pk) <= MAX_KEY_BYTES ? pk : `q|#${digest(host)}`;
}

export function encodePendingItem(pk: string, json: string, version: number, expiresAt: number): DynamoItem {
  return {
    [PK]: { S: pk },
    [PENDING_ATTRIBUTE]: { S: json },
    [VERSION_ATTRIBUTE]: { N: String(version) },
    [TTL_ATTRIBUTE]: { N: String(Math.floor(expiresAt)) },
  };
}

/** A pending-state item's JSON and version, or undefined when it is not one. */
export function decodePendingItem(item: DynamoItem): { json: string; version: number } | undefined {
  const json = item[PENDING_ATTRIBUTE]?.S;
  const version = Number(item[VERSION_ATTRIBUTE]?.N);
  return json === undefined || !Number.isSafeInteger(version) ? undefined : { json, version };
}

/** The item key of an in-memory process key (`processKey(host, pid)` = `${host}\u0000${pid}`). */
export function pkOfProcessKey(key: string): string {
  const at = key.lastIndexOf("\u0000");
  return at < 0 ? pkOf(key, "") : pkOf(key.slice(0, at), key.slice(at + 1));
}

const digest = (text: string): string => createHash("sha256").update(text).digest("base64url");

export function encodeRecord(record: ProcessRecord, expiresAt: number): DynamoItem {
  const json = serializeRecord(record);
  const bytes = json.length > PACK_ABOVE_BYTES / 3 ? Buffer.byteLength(json) : json.length;
  const packed = bytes > PACK_ABOVE_BYTES ? deflateRawSync(json) : undefined;
  return {
    [PK]: { S: pkOf(record.host, record.pid) },
    ...(packed !== undefined && packed.length < bytes
      ? { [PACKED_ATTRIBUTE]: { B: packed } }
      : { [RECORD_ATTRIBUTE]: { S: json } }),
    [TTL_ATTRIBUTE]: { N: String(Math.floor(expiresAt)) },
  };
}

/** The record's JSON from `r`, or inflated from `z` (bounded: a hostile item cannot inflate past the cap). */
function recordJsonOf(item: DynamoItem): string | undefined {
  const json = item[RECORD_ATTRIBUTE]?.S;
  if (json !== undefined) return json;
  const packed = item[PACKED_ATTRIBUTE]?.B;
  if (packed === undefined) return undefined;
  try {
    return inflateRawSync(packed, { maxOutputLength: 4 * MAX_RECORD_JSON_BYTES }).toString("utf8");
  } catch {
    return undefined;
  }
}

/**
 * The record of process key `key` (host and pid come from it), or undefined when the item is not a record
 * of that key in a format this version reads: the caller counts it and treats the process as unknown.
 */
export function decodeRecord(item: DynamoItem | undefined, key: string): ProcessRecord | undefined {
  if (item === undefined || item[PK]?.S !== pkOfProcessKey(key)) return undefined;
  const json = recordJsonOf(item);
  if (json === undefined) return undefined;
  const at = key.lastIndexOf("\u0000");
  const pid = Number(key.slice(at + 1));
  if (at < 0 || !Number.isInteger(pid) || pid < 0) return undefined;
  return deserializeRecord(json, key.slice(0, at), pid);
}

/** An item whose TTL has passed (`expiresAt` in epoch seconds at or before `nowSeconds`); no TTL never expires. */
export function isExpired(item: DynamoItem, nowSeconds: number): boolean {
  const expiresAt = Number(item[TTL_ATTRIBUTE]?.N);
  return Number.isFinite(expiresAt) && expiresAt <= nowSeconds;
}

/**
 * The record's JSON, cut to fit MAX_RECORD_JSON_BYTES evidence first (lib/lineage/record-trim.ts): working
 * directories, long args and the middle of long chains go before any ancestor's executable or script.
 */
export function serializeRecord(record: ProcessRecord): string {
  return fitRecord(record, (r) => JSON.stringify(recordJson(r)), fitsRecordCap, MAX_RECORD_JSON_BYTES);
}

/** UTF-8 takes at most 3 bytes per UTF-16 unit (JSON has escaped the control characters): most skip the count. */
const fitsRecordCap = (json: string): boolean =>
  json.length * 3 <= MAX_RECORD_JSON_BYTES || Buffer.byteLength(json) <= MAX_RECORD_JSON_BYTES;

function recordJson(record: ProcessRecord): Json {
  const out: Json = { v: FORMAT_VERSION, pp: record.ppid };
  if (record.start !== undefined) out["s"] = record.start;
  if (record.sessionId !== undefined) out["sid"] = record.sessionId;
  putImage(out, record);
  putUser(out, record.user);
  putChain(out, record.chain);
  const ancestors = record.ancestors.map(nodeJson);
  if (ancestors.length > 0) out["a"] = ancestors;
  if (record.incomplete === true) out["o"] = 1;
  if (record.eventId !== undefined && record.eventId.length <= MAX_EVENT_ID) out["id"] = record.eventId;
  return out;
}

/** Only the node fields: an ancestor held in memory is a whole ProcessRecord with its own ancestors. */
function nodeJson(node: ProcessNode): Json {
  const out: Json = { p: node.pid };
  putImage(out, node);
  putUser(out, node.user);
  putChain(out, node.chain);
  return out;
}

function putImage(out: Json, image: ProcessImage): void {
  out["e"] = image.executable;
  if (image.invokedPath !== undefined) out["ip"] = image.invokedPath;
  if (image.script !== undefined) out["sc"] = image.script;
  if (image.args.length > 0) out["g"] = image.args;
  if (image.cwd !== undefined) out["d"] = image.cwd;
  out["t"] = image.time;
  if (image.seq !== undefined) out["q"] = image.seq;
  if (image.by !== undefined) out["b"] = image.by;
}

function putUser(out: Json, user: ProcessNode["user"]): void {
  if (user === undefined || (user.id === undefined && user.name === undefined)) return;
  const u: Json = {};
  if (user.id !== undefined) u["i"] = user.id;
  if (user.name !== undefined) u["n"] = user.name;
  out["u"] = u;
}

function putChain(out: Json, chain: readonly ProcessImage[]): void {
  if (chain.length === 0) return;
  out["c"] = chain.map((image) => {
    const json: Json = {};
    putImage(json, image);
    return json;
  });
}

/** The record from its stored JSON, or undefined for anything that is not a version-1 record. */
export function deserializeRecord(json: string, host: string, pid: number): ProcessRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!isObject(parsed) || parsed["v"] !== FORMAT_VERSION) return undefined;
  const record = parsed;
  return readStored(record, () => ({
    host,
    pid,
    ppid: readPid(record["pp"]),
    start: optional(record["s"], readNumber),
    sessionId: optional(record["sid"], readString),
    ...readImage(record),
    user: readUser(record["u"]),
    chain: readChain(record["c"]),
    ancestors: (optional(record["a"], readArray) ?? []).slice(0, MAX_DEPTH).map(readNode),
    ...(record["o"] === 1 && { incomplete: true }),
    eventId: optional(record["id"], readString),
  }));
}

function readNode(value: unknown): ProcessNode {
  if (!isObject(value)) throw new Corrupt();
  return {
    pid: readPid(value["p"]),
    ...readImage(value),
    user: readUser(value["u"]),
    chain: readChain(value["c"]),
  };
}

function readChain(value: unknown): readonly ProcessImage[] {
  const list = optional(value, readArray) ?? [];
  return list.slice(0, MAX_CHAIN).map((item) => {
    if (!isObject(item)) throw new Corrupt();
    return readImage(item);
  });
}

function readImage(value: Json): ProcessImage {
  const args = optional(value["g"], readArray) ?? [];
  return {
    executable: readString(value["e"]),
    invokedPath: optional(value["ip"], readString),
    script: optional(value["sc"], readString),
    args: args.slice(0, MAX_ARGS).map(readString),
    cwd: optional(value["d"], readString),
    time: readNumber(value["t"]),
    seq: optional(value["q"], readNumber),
    by: optional(value["b"], readString),
  };
}

function readUser(value: unknown): ProcessNode["user"] {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw new Corrupt();
  return { id: optional(value["i"], readString), name: optional(value["n"], readString) };
}

function readPid(value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 0) throw new Corrupt();
  return value as number;
}
