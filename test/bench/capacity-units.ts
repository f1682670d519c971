/**
 * DynamoDB's documented arithmetic, for the benchmark's cost figures: item sizes, and the read and write
 * request units an item costs. Only the documented rules, so that the figures are what AWS would bill for the
 * calls the benchmark saw, not what the pipeline believes it spent.
 *
 * Item size, "DynamoDB item sizes and formats"
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
 *   - the size of an item is the sum of its attribute names (UTF-8 bytes) and values;
 *   - String: its UTF-8 bytes; Binary: its raw bytes (not the base64 sent on the wire);
 *   - Number: "approximately" 1 byte per two significant digits, plus 1 byte (leading and trailing zeroes
 *     trimmed; we count an odd digit as a whole byte);
 *   - Null, Boolean: 1 byte;
 *   - List, Map: 3 bytes of overhead plus their elements, and 1 byte more per element (a Map element's key
 *     counts as an attribute name);
 *   - sets are not on that page: we count their elements like the scalars they hold, without overhead;
 *   - storage: every item carries 100 bytes of indexing overhead on top of its size.
 *
 * Units, "DynamoDB read and write operations"
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html):
 *   - a strongly consistent read of up to 4 KB is one read unit, an eventually consistent read half of one;
 *     larger items are rounded up to the next 4 KB; BatchGetItem is billed as one GetItem per item, each
 *     rounded on its own; a ProjectionExpression does not change the size that is billed;
 *   - "If you perform a read operation on an item that doesn't exist, DynamoDB will still consume read
 *     throughput as outlined above": an absent key costs the minimum, 1 (strong) or 0.5 (eventual);
 *   - a write of up to 1 KB is one write unit, larger items are rounded up to the next 1 KB; PutItem and
 *     UpdateItem are billed for the larger of the item before and after, DeleteItem for the deleted item,
 *     BatchWriteItem as one PutItem or DeleteItem per request; a conditional write whose condition fails still
 *     consumes write units for the existing item (at least 1).
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";

export const KB = 1024;
export const READ_UNIT_BYTES = 4 * KB;
export const WRITE_UNIT_BYTES = KB;
/** Per-item storage overhead (indexing), billed as storage only. */
export const STORAGE_OVERHEAD_BYTES = 100;

export type Item = Record<string, AttributeValue>;

const utf8 = (text: string): number => Buffer.byteLength(text, "utf8");

/** Significant digits of a DynamoDB number's text ("-0012.500" has 3, "1.5E+3" has 2, "0" none). */
function significantDigits(text: string): number {
  const mantissa = text.trim().replace(/^[+-]/, "").split(/[eE]/)[0] ?? "";
  return mantissa.replace(".", "").replace(/^0+/, "").replace(/0+$/, "").length;
}

export const numberSize = (text: string): number => Math.ceil(significantDigits(text) / 2) + 1;

/** The size of an attribute's value, without its name. */
export function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.L !== undefined) return value.L.reduce((n, element) => n + valueSize(element) + 1, 3);
  if (value.M !== undefined) {
    return Object.entries(value.M).reduce((n, [key, element]) => n + utf8(key) + valueSize(element) + 1, 3);
  }
  if (value.SS !== undefined) return value.SS.reduce((n, s) => n + utf8(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((n, s) => n + numberSize(s), 0);
  if (value.BS !== undefined) return value.BS.reduce((n, b) => n + b.byteLength, 0);
  return 0;
}

/** An item's size as DynamoDB bills reads and writes of it. */
export const itemSize = (item: Item): number =>
  Object.entries(item).reduce((n, [name, value]) => n + utf8(name) + valueSize(value), 0);

/** Read units of one key read: `size` undefined when the item does not exist (the minimum is still billed). */
export function readUnits(size: number | undefined, consistent: boolean): number {
  const units = size === undefined ? 1 : Math.max(1, Math.ceil(size / READ_UNIT_BYTES));
  return consistent ? units : units / 2;
}

/** Write units of writing an item of `size` bytes (at least 1). */
export const writeUnits = (size: number): number => Math.max(1, Math.ceil(size / WRITE_UNIT_BYTES));
