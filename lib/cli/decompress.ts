import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { InputError } from "../errors.js";

/**
 * Compressed input, recognised by its magic bytes (not by its name: stdin has none, and logrotate's
 * `compresscmd` can be anything). gzip, what logrotate writes by default (`audit.log.2.gz`), is inflated as it
 * streams; the others get a one-line hint naming the command that decompresses them.
 */
const startsWith = (head: Buffer, bytes: readonly number[]) =>
  head.length >= bytes.length && bytes.every((b, i) => head[i] === b);

const MAGIC = [
  { name: "gzip", test: (h: Buffer) => startsWith(h, [0x1f, 0x8b]), command: undefined },
  // "BZh" and the block size, a digit 1-9.
  {
    name: "bzip2",
    test: (h: Buffer) => startsWith(h, [0x42, 0x5a, 0x68]) && h[3]! >= 0x31 && h[3]! <= 0x39,
    command: "bzip2 -dc",
  },
  { name: "xz", test: (h: Buffer) => startsWith(h, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), command: "xz -dc" },
  { name: "zstd", test: (h: Buffer) => startsWith(h, [0x28, 0xb5, 0x2f, 0xfd]), command: "zstd -dc" },
] as const;

/** Enough of the head to tell every format above apart. */
const SNIFF_BYTES = 6;

export type Compression = (typeof MAGIC)[number]["name"];

/** The compression a stream starting with `head` uses, if any (`head` may be shorter than a magic number). */
export function compressionOf(head: Buffer): Compression | undefined {
  return MAGIC.find((m) => m.test(head))?.name;
}

/**
 * `source` with gzip inflated, streaming (concatenated members, as `cat a.gz b.gz` makes, included); other
 * input unchanged. `onCompression` learns what was found before the first byte is passed on. A corrupt or
 * truncated gzip stream, or another compression, ends the stream with an InputError naming `label`.
 */
export async function* decompressed(
  source: AsyncIterable<Buffer | string>,
  label: string,
  onCompression: (compression: Compression | undefined) => void = () => {},
): AsyncGenerator<Buffer> {
  const iterator = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLength = 0;
  let ended = false;
  while (headLength < SNIFF_BYTES) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    const chunk = typeof next.value === "string" ? Buffer.from(next.value) : next.value;
    head.push(chunk);
    headLength += chunk.length;
  }
  const compression = compressionOf(Buffer.concat(head, headLength));
  onCompression(compression);
  const rest = async function* (): AsyncGenerator<Buffer> {
    try {
      yield* head;
      if (ended) return;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield typeof next.value === "string" ? Buffer.from(next.value) : next.value;
      }
    } finally {
      // Stopped early (an error further down): close the file behind the stream.
      if (!ended) await iterator.return?.();
    }
  };
  if (compression === undefined) {
    yield* rest();
    return;
  }
  const magic = MAGIC.find((m) => m.name === compression)!;
  if (magic.command !== undefined) {
    if (!ended) await iterator.return?.();
    throw new InputError(
      `${label} is ${compression}-compressed: decompress it first (${magic.command} FILE | netutil-detector replay -)`,
    );
  }
  yield* gunzip(rest(), label);
}

async function* gunzip(source: AsyncIterable<Buffer>, label: string): AsyncGenerator<Buffer> {
  const compressed = Readable.from(source, { objectMode: false });
  const inflate = createGunzip();
  // pipe() keeps backpressure both ways: memory stays at a few chunks whatever the ratio (a gzip bomb takes
  // time, never memory). It does not forward a read error, hence the listener.
  compressed.on("error", (error) => inflate.destroy(error));
  compressed.pipe(inflate);
  let inflated = 0;
  try {
    for await (const chunk of inflate) {
      inflated += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code?.startsWith("Z_")) {
      throw new InputError(
        `${label}: gzip data is corrupt or truncated after ${inflated} decompressed bytes (${(error as Error).message})`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    // Stopped early (the reader of stdout went away) or failed: close the file behind the stream too.
    compressed.destroy();
    inflate.destroy();
  }
}
