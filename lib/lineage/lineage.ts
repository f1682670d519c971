import type { ProcessImage, ProcessNode } from "./process-record.js";

/** An event's lineage as the rule sees it: its own earlier images and its ancestors. */
export interface Lineage {
  /** Earlier images of the event's own process, nearest first. */
  readonly chain: readonly ProcessImage[];
  /** Parent first, at most MAX_DEPTH. */
  readonly ancestors: readonly ProcessNode[];
  /** The ancestors stop at a parent not (yet) known: more of the lineage may come. */
  readonly incomplete?: boolean | undefined;
}
