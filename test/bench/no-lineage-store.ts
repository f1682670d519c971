import type { BatchRead, LineageStore, StoredPending } from "../../lib/lineage/lineage-store.js";
import type { ProcessRecord } from "../../lib/lineage/process-record.js";

const NO_RECORDS: ReadonlyMap<string, ProcessRecord> = new Map();
const NO_PENDING: ReadonlyMap<string, StoredPending> = new Map();

/**
 * A lineage store that keeps nothing and finds nothing (`npm run bench -- --lineage none`): the pipeline with
 * lineage between batches free, the ceiling of the `ratio` that work on the store alone can reach. Each batch
 * still resolves its own events' parents from itself (lib/pipeline/process-batch.ts), so the bench's attacks,
 * whose chains fit in a batch, still alert; an ancestry that spans batches is cut. Never the product's store.
 */
export class NoLineageStore implements LineageStore {
  /** Records held: none, ever (MemoryLineageStore.size's counterpart). */
  readonly size = 0;

  async getMany(): Promise<ReadonlyMap<string, ProcessRecord>> {
    return NO_RECORDS;
  }

  async putMany(): Promise<void> {}

  async read(): Promise<BatchRead> {
    return { records: NO_RECORDS, pending: NO_PENDING };
  }

  async readPending(): Promise<ReadonlyMap<string, StoredPending>> {
    return NO_PENDING;
  }

  async write(): Promise<{ conflicts: string[] }> {
    return { conflicts: [] };
  }
}
