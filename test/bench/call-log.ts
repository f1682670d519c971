/**
 * The store phase's call log: every DynamoDB command the handler sent, reduced to what billing depends on
 * (which keys were read and how, which items were written, deleted or updated and how large they are), and
 * the meter that prices it with DynamoDB's documented rules (./capacity-units.ts).
 *
 * The meter keeps a shadow of the table (size and expiry of every item the log saw written), because the rules
 * need sizes the calls do not carry: a put that replaces an item is billed for the larger of the two, a delete
 * for the deleted item, a read for the whole item whatever its projection returned. Only writes the log saw
 * are in the shadow; an item it never saw written is priced from what the call itself shows (and a delete of
 * one at the minimum of 1, its size unknown).
 */
import { type Item, itemSize, readUnits, STORAGE_OVERHEAD_BYTES, writeUnits } from "./capacity-units.js";

/** The table's one key attribute (lib/cli/local-dynamodb.ts createDetectorTable, infra/dynamodb.yml). */
export const KEY_ATTRIBUTE = "pk";
/** The TTL attribute (lib/lineage/record-codec.ts TTL_ATTRIBUTE), epoch seconds. */
export const EXPIRY_ATTRIBUTE = "expiresAt";

export interface LoggedWrite {
  readonly pk: string;
  readonly kind: "put" | "delete" | "update";
  /** put: the item's size; update: the item's size after, when the call returned it (ReturnValues ALL_NEW). */
  readonly size?: number | undefined;
  /** The item's TTL (epoch seconds), when the put or the returned item carries one. */
  readonly expiresAt?: number | undefined;
  /** The condition failed: nothing was written, the existing item's size is billed. */
  readonly conditionFailed?: true;
}

export interface LoggedRead {
  readonly pk: string;
  readonly consistent: boolean;
  /** Size of what the call returned for the key (its projection); undefined: no such item. */
  readonly returnedSize: number | undefined;
}

export interface CallLogEntry {
  readonly operation: string;
  /** Epoch ms when the response came. */
  readonly time: number;
  readonly writes: readonly LoggedWrite[];
  readonly reads: readonly LoggedRead[];
  /** Items the call returned (reads; an update's ALL_NEW item). */
  readonly itemsReturned: number;
  /** The error's name when the call failed (ConditionalCheckFailedException, …). */
  readonly error?: string | undefined;
}

type Input = Record<string, unknown>;
type Output = Record<string, unknown> | undefined;

const pkOf = (key: Item | undefined): string | undefined => key?.[KEY_ATTRIBUTE]?.S;
const expiryOf = (item: Item | undefined): number | undefined => {
  const n = Number(item?.[EXPIRY_ATTRIBUTE]?.N);
  return Number.isFinite(n) ? n : undefined;
};
/** The requests or items of every table in a per-table map (RequestItems, UnprocessedItems…). */
const tableEntries = <T>(map: unknown): T[] =>
  map !== null && typeof map === "object" ? (Object.values(map as Record<string, T[]>).flat() as T[]) : [];

/** The puts a command got through: PutItem's item, BatchWriteItem's puts less the unprocessed ones. */
export function writtenItems(operation: string, input: Input, output: Output): Item[] {
  if (operation === "PutItem") return output === undefined ? [] : [input["Item"] as Item];
  if (operation !== "BatchWriteItem" || output === undefined) return [];
  type Request = { PutRequest?: { Item: Item } };
  const left = new Set(
    tableEntries<Request>(output["UnprocessedItems"]).map((r) => pkOf(r.PutRequest?.Item)),
  );
  return tableEntries<Request>(input["RequestItems"])
    .map((r) => r.PutRequest?.Item)
    .filter((item): item is Item => item !== undefined && !left.has(pkOf(item)));
}

/**
 * One command as the log keeps it. `output` is undefined when the call failed with `errorName`. Keys the
 * service returned as unprocessed are left out: they were not read or written (and are sent again).
 */
export function logEntry(
  operation: string,
  input: Input,
  output: Output,
  errorName: string | undefined,
  time: number,
): CallLogEntry {
  const conditionFailed = errorName === "ConditionalCheckFailedException";
  const failed = output === undefined && !conditionFailed;
  const writes: LoggedWrite[] = [];
  const reads: LoggedRead[] = [];
  let itemsReturned = 0;
  const base = { operation, time, ...(errorName !== undefined && { error: errorName }) };
  if (failed) return { ...base, writes, reads, itemsReturned };

  const failure = conditionFailed ? { conditionFailed: true as const } : {};
  switch (operation) {
    case "PutItem": {
      const item = input["Item"] as Item;
      const pk = pkOf(item);
      if (pk !== undefined) {
        writes.push({ pk, kind: "put", size: itemSize(item), expiresAt: expiryOf(item), ...failure });
      }
      break;
    }
    case "DeleteItem": {
      const pk = pkOf(input["Key"] as Item);
      if (pk !== undefined) writes.push({ pk, kind: "delete", ...failure });
      break;
    }
    case "UpdateItem": {
      const pk = pkOf(input["Key"] as Item);
      const after = output?.["Attributes"] as Item | undefined;
      // Only ALL_NEW returns the whole item after the update; other ReturnValues leave its size unknown.
      const whole = input["ReturnValues"] === "ALL_NEW" && after !== undefined;
      if (after !== undefined) itemsReturned++;
      if (pk !== undefined) {
        writes.push({
          pk,
          kind: "update",
          size: whole ? itemSize(after) : undefined,
          expiresAt: whole ? expiryOf(after) : undefined,
          ...failure,
        });
      }
      break;
    }
    case "BatchWriteItem": {
      type Request = { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } };
      const pkOfRequest = (r: Request) => pkOf(r.PutRequest?.Item ?? r.DeleteRequest?.Key);
      const left = new Set(tableEntries<Request>(output?.["UnprocessedItems"]).map(pkOfRequest));
      for (const request of tableEntries<Request>(input["RequestItems"])) {
        const pk = pkOfRequest(request);
        if (pk === undefined || left.has(pk)) continue;
        const item = request.PutRequest?.Item;
        writes.push(
          item === undefined
            ? { pk, kind: "delete" }
            : { pk, kind: "put", size: itemSize(item), expiresAt: expiryOf(item) },
        );
      }
      break;
    }
    case "GetItem": {
      const pk = pkOf(input["Key"] as Item);
      const item = output?.["Item"] as Item | undefined;
      if (item !== undefined) itemsReturned++;
      if (pk !== undefined) {
        reads.push({
          pk,
          consistent: input["ConsistentRead"] === true,
          returnedSize: item === undefined ? undefined : itemSize(item),
        });
      }
      break;
    }
    case "BatchGetItem": {
      type Request = { Keys?: Item[]; ConsistentRead?: boolean };
      const requests = (input["RequestItems"] ?? {}) as Record<string, Request>;
      const responses = (output?.["Responses"] ?? {}) as Record<string, Item[]>;
      const unprocessed = (output?.["UnprocessedKeys"] ?? {}) as Record<string, Request>;
      for (const [table, request] of Object.entries(requests)) {
        const found = new Map<string, Item>();
        for (const item of responses[table] ?? []) {
          const pk = pkOf(item);
          if (pk !== undefined) found.set(pk, item);
          itemsReturned++;
        }
        const left = new Set((unprocessed[table]?.Keys ?? []).map(pkOf));
        for (const key of request.Keys ?? []) {
          const pk = pkOf(key);
          if (pk === undefined || left.has(pk)) continue;
          const item = found.get(pk);
          reads.push({
            pk,
            consistent: request.ConsistentRead === true,
            returnedSize: item === undefined ? undefined : itemSize(item),
          });
        }
      }
      break;
    }
  }
  return { ...base, writes, reads, itemsReturned };
}

/** What a table's items are, by the prefix of their key (`p|host|pid` → `p`). */
export const itemKind = (pk: string): string => {
  const at = pk.indexOf("|");
  return at < 0 ? pk : pk.slice(0, at);
};

interface ShadowItem {
  size: number;
  expiresAt: number | undefined;
  /** Epoch seconds of the write that left it so. */
  writtenAt: number;
}

export interface UnitTotals {
  writeUnits: number;
  readUnits: number;
  writes: number;
  reads: number;
}

export interface StorageEstimate {
  readonly items: number;
  /** Item sizes plus the 100-byte overhead of each. */
  readonly bytes: number;
  /** Σ bytes × how long each item stays (its TTL from its last write), in GB-months. */
  readonly gbMonths: number;
}

/** AWS bills storage per GB-month, a month being 730 hours; GB = 2^30 bytes. */
const SECONDS_PER_MONTH = 730 * 3600;
const GB = 1024 ** 3;

/**
 * Prices a call log with the documented rules, in call order. Units are kept per item kind (`p`, `q`, `d`,
 * `publish`…), so that a change in one kind of item shows where the cost moved.
 */
export class CapacityMeter {
  readonly byKind = new Map<string, UnitTotals>();
  readonly byOperation = new Map<string, { calls: number; keysRead: number; itemsWritten: number }>();
  /** Items the calls returned. */
  itemsReturned = 0;
  /** Updates whose size after was not returned (priced at the size before, or 1). */
  approximateUpdates = 0;
  /** Deletes of items the log never saw written (priced at the minimum, their size unknown). */
  deletesOfUnknownSize = 0;
  /** Operations this meter does not price (Query, Scan, transactions): named, not hidden. */
  readonly unpriced = new Map<string, number>();
  readonly #shadow = new Map<string, ShadowItem>();

  add(entry: CallLogEntry): void {
    const op = this.byOperation.get(entry.operation) ?? { calls: 0, keysRead: 0, itemsWritten: 0 };
    op.calls++;
    op.keysRead += entry.reads.length;
    op.itemsWritten += entry.writes.filter((w) => w.conditionFailed !== true).length;
    this.byOperation.set(entry.operation, op);
    this.itemsReturned += entry.itemsReturned;
    if (!PRICED.has(entry.operation)) {
      this.unpriced.set(entry.operation, (this.unpriced.get(entry.operation) ?? 0) + 1);
    }
    const seconds = entry.time / 1000;
    for (const read of entry.reads) {
      // The whole item is billed, not the projection: its size from the shadow when the log saw it written.
      const known = this.#shadow.get(read.pk);
      const size =
        read.returnedSize === undefined ? undefined : Math.max(known?.size ?? 0, read.returnedSize);
      const totals = this.#totals(read.pk);
      totals.reads++;
      totals.readUnits += readUnits(size, read.consistent);
    }
    for (const write of entry.writes) {
      const before = this.#shadow.get(write.pk);
      const totals = this.#totals(write.pk);
      totals.writes++;
      if (write.conditionFailed === true) {
        totals.writeUnits += writeUnits(before?.size ?? 0);
        continue;
      }
      if (write.kind === "delete") {
        if (before === undefined) this.deletesOfUnknownSize++;
        totals.writeUnits += writeUnits(before?.size ?? 0);
        this.#shadow.delete(write.pk);
        continue;
      }
      let after = write.size;
      if (after === undefined) {
        this.approximateUpdates++;
        after = before?.size ?? 0;
      }
      totals.writeUnits += writeUnits(Math.max(before?.size ?? 0, after));
      this.#shadow.set(write.pk, {
        size: after,
        expiresAt: write.expiresAt ?? (write.kind === "update" ? before?.expiresAt : undefined),
        writtenAt: seconds,
      });
    }
  }

  /** Starts the measured window: totals from zero, the shadow of the table as it stands. */
  startWindow(): void {
    this.byKind.clear();
    this.byOperation.clear();
    this.itemsReturned = 0;
    this.approximateUpdates = 0;
    this.deletesOfUnknownSize = 0;
    this.unpriced.clear();
  }

  /** The items left in the table, each kept until its TTL (`defaultTtlSeconds` when it has none). */
  storage(defaultTtlSeconds: number): StorageEstimate {
    let bytes = 0;
    let byteSeconds = 0;
    for (const item of this.#shadow.values()) {
      const stored = item.size + STORAGE_OVERHEAD_BYTES;
      const ttl =
        item.expiresAt !== undefined && item.expiresAt > item.writtenAt
          ? item.expiresAt - item.writtenAt
          : defaultTtlSeconds;
      bytes += stored;
      byteSeconds += stored * ttl;
    }
    return { items: this.#shadow.size, bytes, gbMonths: byteSeconds / GB / SECONDS_PER_MONTH };
  }

  /** The sizes of the live items of one kind (for the figures: average and p95 record size). */
  sizesOf(kind: string): number[] {
    const sizes: number[] = [];
    for (const [pk, item] of this.#shadow) if (itemKind(pk) === kind) sizes.push(item.size);
    return sizes;
  }

  total(): UnitTotals {
    const sum: UnitTotals = { writeUnits: 0, readUnits: 0, writes: 0, reads: 0 };
    for (const t of this.byKind.values()) {
      sum.writeUnits += t.writeUnits;
      sum.readUnits += t.readUnits;
      sum.writes += t.writes;
      sum.reads += t.reads;
    }
    return sum;
  }

  #totals(pk: string): UnitTotals {
    const kind = itemKind(pk);
    let totals = this.byKind.get(kind);
    if (totals === undefined) {
      totals = { writeUnits: 0, readUnits: 0, writes: 0, reads: 0 };
      this.byKind.set(kind, totals);
    }
    return totals;
  }
}

const PRICED = new Set(["PutItem", "DeleteItem", "UpdateItem", "BatchWriteItem", "GetItem", "BatchGetItem"]);
