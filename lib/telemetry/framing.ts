import type { RawRecord } from "./decoder.js";

/**
 * Framing: bytes in, records out, streaming (files larger than memory, stdin). A record is a line, or a
 * pretty-printed JSON document spread over lines. Everything is capped: a 1 MB line or an unterminated
 * document becomes one positioned error, never unbounded memory, and never takes the lines after it down.
 */

/** Largest record kept: laurel lines with long argv are tens of KB; auditd splits EXECVE at ~7.5 KB. */
export const MAX_RECORD_BYTES = 256 * 1024;
/** Kept of an oversized record, for the quarantine and the error report. */
const OVERSIZE_SAMPLE = 1024;

/**
 * A framed record, or a framing error at a position (oversize, unterminated document). `lines`: how many
 * input lines a joined document spans (absent for one line), so that its bytes can be set aside exactly.
 */
export type FramedRecord = RawRecord & { error?: string; lines?: number };

/** Splits a byte stream into lines with 1-based numbers. Yields one array of records per input chunk. */
export async function* frameLines(source: AsyncIterable<Buffer | string>): AsyncGenerator<FramedRecord[]> {
  let pending: Buffer[] = [];
  let pendingLength = 0;
  let oversize = false;
  let line = 0;

  const finish = (tail: Buffer, out: FramedRecord[]) => {
    line++;
    const total = pendingLength + tail.length;
    if (oversize || total > MAX_RECORD_BYTES) {
      const sample = Buffer.concat([...pending, tail])
        .subarray(0, OVERSIZE_SAMPLE)
        .toString("utf8");
      out.push({
        text: sample,
        line,
        // Exact: the bytes of an oversized line are counted as they are dropped.
        error: `record exceeds ${MAX_RECORD_BYTES} bytes (${total} bytes)`,
      });
    } else {
      const whole = pending.length === 0 ? tail : Buffer.concat([...pending, tail], total);
      const end = whole.length > 0 && whole[whole.length - 1] === 13 ? whole.length - 1 : whole.length;
      out.push({ text: whole.toString("utf8", 0, end), line });
    }
    pending = [];
    pendingLength = 0;
    oversize = false;
  };

  for await (const chunk of source) {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    const out: FramedRecord[] = [];
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      if (nl < 0) {
        const rest = buf.subarray(start);
        if (rest.length === 0) break;
        if (!oversize && pendingLength + rest.length <= MAX_RECORD_BYTES) {
          // Copy: the stream may reuse its chunk buffer.
          pending.push(Buffer.from(rest));
          pendingLength += rest.length;
        } else {
          if (pendingLength < OVERSIZE_SAMPLE) pending.push(Buffer.from(rest.subarray(0, OVERSIZE_SAMPLE)));
          pendingLength += rest.length;
          oversize = true;
        }
        break;
      }
      if (pending.length === 0 && !oversize) {
        line++;
        const length = nl - start;
        if (length > MAX_RECORD_BYTES) {
          out.push({
            text: buf.toString("utf8", start, start + OVERSIZE_SAMPLE),
            line,
            error: `record exceeds ${MAX_RECORD_BYTES} bytes (${length} bytes)`,
          });
        } else {
          const end = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
          out.push({ text: buf.toString("utf8", start, end), line });
        }
      } else {
        finish(buf.subarray(start, nl), out);
      }
      start = nl + 1;
    }
    if (out.length > 0) yield out;
  }
  if (pending.length > 0 || oversize) {
    const out: FramedRecord[] = [];
    finish(Buffer.alloc(0), out);
    yield out;
  }
}

/** Lines a multi-line JSON document may span before it is declared unterminated. */
const MAX_DOCUMENT_LINES = 10_000;

/**
 * Joins pretty-printed JSON documents (`{` alone on a line … `}` at column 0, as jq, JSON.stringify and
 * Python print them) into one record. A line at column 0 that is not the closing brace ends the attempt:
 * the document is reported unterminated and that line is framed on its own, so a truncated document cannot
 * swallow the valid records after it.
 */
export function createDocumentJoiner(): (records: readonly FramedRecord[]) => FramedRecord[] {
  let open: { line: number; parts: string[]; bytes: number } | undefined;

  return (records) => {
    const out: FramedRecord[] = [];
    for (const record of records) {
      if (open !== undefined) {
        const first = record.text.charCodeAt(0);
        const atColumnZero = record.text.length > 0 && first !== 32 && first !== 9;
        if (record.error === undefined && !atColumnZero) {
          open.parts.push(record.text);
          open.bytes += record.text.length + 1;
          if (open.bytes > MAX_RECORD_BYTES || open.parts.length > MAX_DOCUMENT_LINES) {
            out.push({
              text: open.parts.slice(0, 20).join("\n"),
              line: open.line,
              lines: open.parts.length,
              error: `JSON document exceeds ${MAX_RECORD_BYTES} bytes`,
            });
            open = undefined;
          }
          continue;
        }
        const closing = record.text.trimEnd();
        if (record.error === undefined && (closing === "}" || closing === "]")) {
          open.parts.push(record.text);
          out.push({ text: open.parts.join("\n"), line: open.line, lines: open.parts.length });
          open = undefined;
          continue;
        }
        out.push({
          text: open.parts.join("\n"),
          line: open.line,
          lines: open.parts.length,
          error: "unterminated JSON document",
        });
        open = undefined;
      }
      const trimmed = record.error === undefined ? record.text.trim() : "";
      if (trimmed === "{" || trimmed === "[") {
        open = { line: record.line, parts: [record.text], bytes: record.text.length };
        continue;
      }
      out.push(record);
    }
    return out;
  };
}

/** End of input: a document still open is unterminated. */
export function flushDocumentJoiner(join: ReturnType<typeof createDocumentJoiner>): FramedRecord[] {
  // A column-0 sentinel closes any open document as unterminated; the sentinel itself is dropped.
  return join([{ text: "\u0000eof", line: -1 }]).filter((r) => r.line !== -1);
}

/**
 * The whole-text form of frameLines, for payloads already in memory (a Kinesis record, a CloudWatch Logs
 * event): the same caps and line handling, numbered from `firstLine`.
 */
export function frameText(text: string, firstLine = 1): FramedRecord[] {
  const out: FramedRecord[] = [];
  let start = 0;
  let line = firstLine;
  while (start <= text.length) {
    let end = text.indexOf("\n", start);
    const last = end < 0;
    if (last) end = text.length;
    if (!(last && start === end && start > 0)) {
      const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
      // Characters, not bytes: a UTF-16 length bounds the UTF-8 size to 3x, close enough for a hostile-size cap.
      if (stop - start > MAX_RECORD_BYTES) {
        out.push({
          text: text.slice(start, start + 1024),
          line,
          error: `record exceeds ${MAX_RECORD_BYTES} bytes (${stop - start} characters)`,
        });
      } else {
        out.push({ text: text.slice(start, stop), line });
      }
    }
    line++;
    if (last) break;
    start = end + 1;
  }
  return out;
}
