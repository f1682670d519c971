import { isWrittenLongLived } from "../lineage/long-lived.js";
import type { ProcessImage, ProcessNode, ProcessRecord } from "../lineage/process-record.js";
import type { CompiledRule } from "../rule/compile-rule.js";
import { classify } from "../rule/evaluate.js";
import { identifyUtility } from "../rule/identify-utility.js";
import type { CategoryName } from "../rule/utilities.js";

/**
 * Which process records the durable store keeps (DESIGN §5, lineage v2): those a later batch, or a container
 * that takes over the shard, can need. A record whose lineage holds a suspicious location (any tier of the
 * rule that is not benign: a later utility below it must alert with all of its evidence), and a process of a
 * long-lived kind (lib/lineage/long-lived.ts). The rest are leaves that lived and died within the stream's
 * last moments, held by the container that processes their host in memory (lib/lineage/tiered-store.ts),
 * which writes one after all if a child of it turns up in a later batch.
 */
export function keepRecord(rule: CompiledRule): (record: ProcessRecord) => boolean {
  // An ancestor's node is shared by every record below it (the parent's record is its children's node):
  // judged once.
  const judged = new WeakMap<object, boolean>();
  const imageSuspicious = (image: ProcessImage): boolean =>
    located(image.executable, image.cwd) ||
    located(image.script, image.cwd) ||
    located(image.invokedPath, image.cwd);
  const located = (path: string | undefined, cwd: string | undefined) => {
    if (path === undefined || path.length === 0) return false;
    const location = classify(path, cwd, rule);
    // A benign location (runc's memfd, a known agent's directory) never makes an alert: nor does it here.
    return location !== undefined && !rule.benign.some((b) => b.pattern.test(location.path));
  };
  const nodeSuspicious = (node: ProcessNode): boolean => {
    let verdict = judged.get(node);
    if (verdict === undefined) {
      verdict = imageSuspicious(node) || node.chain.some(imageSuspicious);
      judged.set(node, verdict);
    }
    return verdict;
  };
  const leaf = (record: ProcessRecord): boolean => {
    const utility = identifyUtility(record, rule.utilities);
    return (
      utility !== undefined && LEAF_CATEGORIES.has(utility.category) && !LEAF_EXCEPTIONS.has(utility.name)
    );
  };
  return (record) =>
    ((nodeSuspicious(record) || record.ancestors.some(nodeSuspicious)) && !leaf(record)) ||
    isWrittenLongLived(record);
}

/**
 * Network utilities that never start a process of their own: a lookup or a download ends the process, and its
 * alert (if any) is raised from the batch it is in. Under a suspicious file they are the evidence, not a parent.
 */
const LEAF_CATEGORIES: ReadonlySet<CategoryName> = new Set(["dns", "transfer"]);
/** ftp(1) runs `!command` in a shell. */
const LEAF_EXCEPTIONS: ReadonlySet<string> = new Set(["ftp"]);
