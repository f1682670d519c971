/**
 * Hints in the replay summary for inputs that are almost right: the records are there but in a shape that
 * loses what the rule needs, and the fix is one option or one setting away. They are read from the start of
 * the input (a file is one shape throughout), so the stream is not scanned twice.
 */

/** Lines at the start of the input that are looked at. */
export const HINT_SAMPLE_LINES = 1000;
/** Of each line, the prefix that classifies it. */
const LINE_PREFIX = 256;

export interface InputSample {
  lines: number;
  /** Raw auditd records (`type=… msg=audit(…):`) with and without auditd's `node=` prefix. */
  auditdWithNode: number;
  auditdWithoutNode: number;
  /** `ausearch -i` records: `msg=audit(<local date> <time>:<serial>) : …`, names in place of numbers. */
  ausearchInterpreted: number;
}

// Anchored, bounded, no nested quantifiers: linear on any line. `) : ` (space before the colon) is what
// ausearch --interpret writes after the header; the kernel and auditd write `):`.
const INTERPRETED = /^(?:node=\S{1,255} )?type=[A-Z0-9_]{1,40} msg=audit\([^)]{1,64}\) : /;
const RAW = /^(node=\S{1,255} )?type=[A-Z0-9_]{1,40} msg=audit\(\d{1,20}\.\d{1,9}:\d{1,20}\):/;

export function classifyLine(line: string, sample: InputSample): void {
  sample.lines++;
  if (INTERPRETED.test(line)) {
    sample.ausearchInterpreted++;
    return;
  }
  const raw = RAW.exec(line);
  if (raw === null) return;
  if (raw[1] === undefined) sample.auditdWithoutNode++;
  else sample.auditdWithNode++;
}

/** Passes `source` through unchanged, classifying its first HINT_SAMPLE_LINES lines into `sample`. */
export async function* sampled(source: AsyncIterable<Buffer>, sample: InputSample): AsyncGenerator<Buffer> {
  let partial = "";
  for await (const chunk of source) {
    if (sample.lines < HINT_SAMPLE_LINES) {
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(10, start);
        const end = nl < 0 ? chunk.length : nl;
        if (partial.length < LINE_PREFIX) {
          partial += chunk.toString("utf8", start, Math.min(end, start + LINE_PREFIX - partial.length));
        }
        if (nl < 0) break;
        classifyLine(partial, sample);
        partial = "";
        start = nl + 1;
        if (sample.lines >= HINT_SAMPLE_LINES) break;
      }
    }
    yield chunk;
  }
  if (partial.length > 0 && sample.lines < HINT_SAMPLE_LINES) classifyLine(partial, sample);
}

export const newInputSample = (): InputSample => ({
  lines: 0,
  auditdWithNode: 0,
  auditdWithoutNode: 0,
  ausearchInterpreted: 0,
});

export const HINTS = {
  ausearch:
    "these look like ausearch's interpreted output (ausearch -i: local dates, names for numbers), which the " +
    "decoder cannot read: give it the raw records, ausearch --raw …",
  host:
    'auditd records without a node= prefix get the host "unknown" (auditd.conf name_format = NONE, the ' +
    "default on Debian and Ubuntu): name the host with --host NAME, or set name_format = hostname",
} as const;

/** The hints that apply, given what the replay found. */
export function inputHints(
  sample: InputSample,
  found: { readonly execEvents: number },
  options: { readonly hostGiven: boolean },
): string[] {
  const hints: string[] = [];
  if (sample.ausearchInterpreted > 0) hints.push(HINTS.ausearch);
  if (!options.hostGiven && sample.auditdWithoutNode > 0 && found.execEvents > 0) hints.push(HINTS.host);
  return hints;
}
