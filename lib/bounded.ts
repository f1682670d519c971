/**
 * A bounded pool: `task` runs over `items` in order of start, at most `limit` at a time. AWS calls of one
 * invocation go out concurrently (2,000 dedup updates one after the other take 10 s at 5 ms each) but never
 * all at once (the SDK's sockets, the table's partition, the Lambda's memory).
 *
 * `mayStart(index)` is asked before each start: when it says no (the deadline passed, an earlier item
 * failed), no later item starts either, and the index of the first item not started is returned
 * (`items.length` when all ran). Tasks already running are awaited; a task that throws stops new starts and
 * its error is rethrown once the running ones are done, so nothing is left in flight behind the caller.
 */
export async function runBounded<T>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<void>,
  mayStart: (index: number) => boolean = () => true,
): Promise<number> {
  let next = 0;
  let stopped = false;
  let thrown: { error: unknown } | undefined;
  const worker = async () => {
    while (!stopped && next < items.length) {
      if (!mayStart(next)) {
        stopped = true;
        break;
      }
      const index = next++;
      try {
        await task(items[index]!, index);
      } catch (error) {
        thrown ??= { error };
        stopped = true;
      }
    }
  };
  const workers: Promise<void>[] = [];
  for (let i = 0; i < Math.min(Math.max(1, limit), items.length); i++) workers.push(worker());
  await Promise.all(workers);
  if (thrown !== undefined) throw thrown.error;
  return next;
}
