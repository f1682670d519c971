import {
  MAX_ARG_LENGTH,
  MAX_ARGS,
  type ProcessImage,
  type ProcessNode,
  type ProcessRecord,
  prependAncestor,
} from "./process-record.js";

/**
 * A process record as the in-memory lineage store holds it, and an estimate of the bytes it keeps alive there:
 * what bounds the CLI's memory (lib/lineage/memory-store.ts). The estimate is only worth something if a held
 * record keeps alive nothing but what is counted, and as resolved a record keeps alive far more:
 *
 * - Its ancestors are the parents' own records (resolve-lineage.ts shares them rather than copying a node per
 *   event), each with its own ancestors, and so on: a record keeps every ancestor's ancestors, however far,
 *   and a long line of processes (a script that starts itself) stays in memory whole whatever is evicted.
 *   Held, a record's ancestors are nodes (`NodeView`: the ProcessNode fields, no ancestors), made once per
 *   held parent and shared by its children. A child resolved under a held parent points to that node already
 *   (ProcessRecord.node), so its list of ancestors is held as it is.
 * - An argument cut by capArgs is a slice of the whole argument (up to 128 KiB), and arguments split from one
 *   command line (Tetragon, Falco, laurel ARGV_STR) are slices of all of it: V8 keeps a slice's parent text.
 *   Such arguments are copied: those capArgs cut (513 characters ending in "…"), and all of a list of
 *   MAX_ARGS, whose dropped arguments may share the kept ones' text. A list shorter than that kept every
 *   argument, so a command line it was split from is about as long as what is counted.
 *
 * The estimate is cheap (computed once per record written, from string lengths) and on the high side: two
 * bytes per character (V8 stores Latin-1 text in one), a fixed size per object, array and number. A record's
 * own bytes are counted with it; an ancestor's node is charged once to each account (a generation of the
 * store) that holds a record pointing to it, and stays charged there until that account is dropped whole:
 * an evicted parent's node lives as long as a held child points to it. The auditd decoder gives values of
 * their own, not slices of their audit lines (lib/telemetry/flat-string.ts), and the same string to equal
 * values (string-pool.ts), which are counted once per record all the same: the estimate stays on the high
 * side. Strings that a record shares with its own node are counted in both.
 */

/** V8 on 64 bits without pointer compression: an object's header, a slot, a boxed number (epoch ms). */
const HEADER = 24;
const SLOT = 8;
const NUMBER = 16;
/** A string's header (map, hash, length), then its characters. */
const STRING = 16;
/** JSArray plus its backing store's header. */
const ARRAY = 48;
/** A process image's object: 8 fields, time and seq boxed. */
const IMAGE = HEADER + 8 * SLOT + 2 * NUMBER;
/** A node's object: the image's fields, pid, user and chain. */
const NODE = IMAGE + 3 * SLOT;
/** A record's object: 21 fields, time, seq and start boxed. */
const RECORD = HEADER + 21 * SLOT + 3 * NUMBER;
const USER = HEADER + 2 * SLOT;

let accounts = 0;

/**
 * A new account to charge nodes to, unique in the process. A number, not the generation itself: a node that
 * outlives its generation must not keep it, and all the records in it, alive.
 */
export const newAccount = (): number => ++accounts;

/** An ancestor as a held record keeps it: the ProcessNode fields and nothing they came with. */
export class NodeView implements ProcessNode {
  readonly pid: number;
  readonly user: ProcessNode["user"];
  readonly chain: readonly ProcessImage[];
  readonly executable: string;
  readonly invokedPath: string | undefined;
  readonly script: string | undefined;
  readonly args: readonly string[];
  readonly cwd: string | undefined;
  readonly time: number;
  readonly by: string | undefined;
  readonly seq: number | undefined;
  readonly #bytes: number;
  /** The account (a generation of a store) its bytes were last charged to. */
  #chargedTo = 0;

  constructor(node: ProcessNode) {
    this.pid = node.pid;
    this.user = node.user;
    this.chain = heldChain(node.chain);
    this.executable = node.executable;
    this.invokedPath = node.invokedPath;
    this.script = node.script;
    this.args = heldArgs(node.args);
    this.cwd = node.cwd;
    this.time = node.time;
    this.by = node.by;
    this.seq = node.seq;
    this.#bytes = nodeBytes(this);
  }

  get heldBytes(): number {
    return this.#bytes;
  }

  /** Charged to `account`: its bytes the first time, then 0. */
  chargeTo(account: number): number {
    if (this.#chargedTo === account) return 0;
    this.#chargedTo = account;
    return this.#bytes;
  }
}

/**
 * A process record as resolve-lineage.ts makes it, and as the memory store holds it: its children point to
 * its node (ProcessRecord.node), its estimate is computed when a store first asks. Built field by field (the
 * batch's hot path makes one per exec, and a store holds it as it is: holdRecord), or copied from a record
 * made another way (a table's, a test's) with its ancestors turned into nodes.
 */
export class HeldRecord implements ProcessRecord {
  readonly host: string;
  readonly pid: number;
  readonly ppid: number;
  readonly start: number | undefined;
  readonly sessionId: string | undefined;
  readonly entityId: string | undefined;
  readonly executable: string;
  readonly invokedPath: string | undefined;
  readonly script: string | undefined;
  readonly args: readonly string[];
  readonly cwd: string | undefined;
  readonly time: number;
  readonly seq: number | undefined;
  readonly by: string | undefined;
  readonly eventId: string | undefined;
  readonly user: ProcessNode["user"];
  readonly chain: readonly ProcessImage[];
  /** NodeViews once held (holdRecord); as resolved, a node the telemetry carried may be a plain object. */
  readonly ancestors: readonly ProcessNode[];
  readonly incomplete: boolean | undefined;
  /** The record and what it points to but its ancestors' nodes, which it shares with its relatives. */
  #ownBytes = -1;
  /** This process as its children's ancestor: made when the first child is resolved or held. */
  #node: NodeView | undefined;
  /** Its children's list of ancestors (its node, then its ancestors): made once, shared by all of them. */
  #childAncestors: readonly ProcessNode[] | undefined;

  /** `fields` copied (args and chain held: copied where they must be), with `ancestors` for its own. */
  constructor(fields: Omit<ProcessRecord, "ancestors" | "node">, ancestors: readonly ProcessNode[]) {
    this.host = fields.host;
    this.pid = fields.pid;
    this.ppid = fields.ppid;
    this.start = fields.start;
    this.sessionId = fields.sessionId;
    this.entityId = fields.entityId;
    this.executable = fields.executable;
    this.invokedPath = fields.invokedPath;
    this.script = fields.script;
    this.args = heldArgs(fields.args);
    this.cwd = fields.cwd;
    this.time = fields.time;
    this.seq = fields.seq;
    // A tag is one flat string of its own (event-tag.ts), or read from the table.
    this.by = fields.by;
    this.eventId = fields.eventId;
    this.user = fields.user;
    this.chain = heldChain(fields.chain);
    this.ancestors = ancestors;
    this.incomplete = fields.incomplete;
  }

  get ownBytes(): number {
    if (this.#ownBytes < 0) this.#ownBytes = recordBytes(this);
    return this.#ownBytes;
  }

  /** Charged to `account`: its own bytes, and its ancestors' nodes that were not yet (held: all NodeViews). */
  chargeTo(account: number): number {
    let bytes = this.ownBytes;
    for (const node of this.ancestors) bytes += (node as NodeView).chargeTo(account);
    return bytes;
  }

  /** Its children point to it (ProcessRecord.node): made once, shared by all of them. */
  get node(): NodeView {
    this.#node ??= new NodeView(this);
    return this.#node;
  }

  /**
   * What its children's records hold as their ancestors, one list for all of them (lists are never written
   * to). It holds nodes only: a child keeps no record, and so nothing of what the record points to, alive.
   * Each child's estimate still counts the list as its own: on the high side.
   */
  get childAncestors(): readonly ProcessNode[] {
    this.#childAncestors ??= prependAncestor(this.node, this.ancestors);
    return this.#childAncestors;
  }
}

/**
 * `record` as held. `written`: what the records and nodes of the same write already became (records are
 * written with their parents, which a child of the same batch points to as they were resolved); filled here,
 * so that siblings share one node.
 */
export function holdRecord(record: ProcessRecord, written: Map<object, NodeView | HeldRecord>): HeldRecord {
  const { ancestors } = record;
  // As resolved under held parents (most records): held as it is, no copy. Not entered in `written`: a
  // record that points to it finds its node through it (below).
  if (record instanceof HeldRecord && allNodes(ancestors)) return record;
  let held: NodeView[] | undefined;
  for (let i = 0; i < ancestors.length; i++) {
    const ancestor = ancestors[i]!;
    if (ancestor instanceof NodeView) continue;
    let view: NodeView;
    if (ancestor instanceof HeldRecord) view = ancestor.node;
    else {
      const earlier = written.get(ancestor);
      if (earlier === undefined) {
        view = new NodeView(ancestor);
        written.set(ancestor, view);
      } else view = earlier instanceof HeldRecord ? earlier.node : earlier;
    }
    held ??= ancestors.slice() as NodeView[];
    held[i] = view;
  }
  const result = new HeldRecord(record, held ?? ancestors);
  written.set(record, result);
  return result;
}

function allNodes(ancestors: readonly ProcessNode[]): boolean {
  for (let i = 0; i < ancestors.length; i++) if (!(ancestors[i] instanceof NodeView)) return false;
  return true;
}

/** A record's own bytes: its fields, strings, args, user, exec chain and ancestor slots, not the ancestors. */
function recordBytes(record: ProcessRecord): number {
  return (
    RECORD -
    IMAGE +
    imageBytes(record) +
    stringBytes(record.host) +
    stringBytes(record.sessionId) +
    stringBytes(record.entityId) +
    stringBytes(record.eventId) +
    userBytes(record.user) +
    chainBytes(record.chain) +
    ARRAY +
    SLOT * record.ancestors.length
  );
}

function nodeBytes(node: ProcessNode): number {
  return NODE - IMAGE + imageBytes(node) + userBytes(node.user) + chainBytes(node.chain);
}

function chainBytes(chain: readonly ProcessImage[]): number {
  let bytes = ARRAY + SLOT * chain.length;
  for (const image of chain) bytes += imageBytes(image);
  return bytes;
}

function imageBytes(image: ProcessImage): number {
  let bytes =
    IMAGE +
    stringBytes(image.executable) +
    stringBytes(image.invokedPath) +
    stringBytes(image.script) +
    stringBytes(image.cwd) +
    stringBytes(image.by) +
    ARRAY +
    SLOT * image.args.length;
  for (const arg of image.args) bytes += stringBytes(arg);
  return bytes;
}

function userBytes(user: ProcessNode["user"]): number {
  return user === undefined ? 0 : USER + stringBytes(user.id) + stringBytes(user.name);
}

const stringBytes = (text: string | undefined): number => (text === undefined ? 0 : STRING + 2 * text.length);

/** Images whose args needed copying, copied; the same array when none did (the common case). */
function heldChain(chain: readonly ProcessImage[]): readonly ProcessImage[] {
  let out: ProcessImage[] | undefined;
  for (let i = 0; i < chain.length; i++) {
    const image = chain[i]!;
    const args = heldArgs(image.args);
    if (args === image.args) continue;
    out ??= chain.slice();
    out[i] = { ...image, args };
  }
  return out ?? chain;
}

/**
 * Args lists copied, by the list they were copied from and by themselves: each is copied once, however many
 * images and nodes share it. Only lists that needed copying are in it (few).
 */
const detachedLists = new WeakMap<readonly string[], readonly string[]>();

/** The args, with those that may keep a longer text alive copied (see above); the same array when none may. */
function heldArgs(args: readonly string[]): readonly string[] {
  // The common case reads a few lengths and allocates nothing.
  if (args.length < MAX_ARGS && !anyCut(args)) return args;
  let out = detachedLists.get(args);
  if (out === undefined) {
    out =
      args.length >= MAX_ARGS ? args.map(detached) : args.map((arg) => (wasCut(arg) ? detached(arg) : arg));
    detachedLists.set(args, out);
    detachedLists.set(out, out);
  }
  return out;
}

function anyCut(args: readonly string[]): boolean {
  for (let i = 0; i < args.length; i++) if (wasCut(args[i]!)) return true;
  return false;
}

/** capArgs' mark: MAX_ARG_LENGTH characters of a longer argument, then "…". */
const wasCut = (arg: string): boolean =>
  arg.length === MAX_ARG_LENGTH + 1 && arg.charCodeAt(MAX_ARG_LENGTH) === 0x2026;

/**
 * The text in a string of its own. A slice of a concatenation makes V8 flatten the concatenation into a new
 * string first: the result points into that copy (one character longer), no longer into the original.
 */
const detached = (text: string): string => ` ${text}`.slice(1);
