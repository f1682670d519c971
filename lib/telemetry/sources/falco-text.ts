import type { DecodeOutput, RawRecord, TextLineDecoder } from "../decoder.js";
import { skipped } from "../decoder.js";

/**
 * Falco's plain-text output (`json_output: false`): `13:18:57.434030270: Notice <rule output>`. The text is the
 * rule's free-form message: no pid, no field names a parser can trust, so it cannot become an exec event. It is
 * recognised, skipped and counted with a reason that says how to fix the source, rather than reported as
 * malformed telemetry.
 */
const PRIORITIES = [
  "Emergency",
  "Alert",
  "Critical",
  "Error",
  "Warning",
  "Notice",
  "Informational",
  "Info",
  "Debug",
];

export const falcoTextDecoder: TextLineDecoder = {
  format: "falco",
  matchesText(text: string): boolean {
    // HH:MM:SS.nnnnnnnnn: Priority …  (a fixed prefix, checked character by character)
    if (text.length < 20 || text[2] !== ":" || text[5] !== ":" || text[8] !== ".") return false;
    const colon = text.indexOf(": ", 9);
    if (colon < 10 || colon > 19) return false;
    for (let i = 0; i < colon; i++) {
      if (i === 2 || i === 5 || i === 8) continue;
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) return false;
    }
    const word = text.slice(colon + 2, text.indexOf(" ", colon + 2));
    return PRIORITIES.includes(word);
  },
  decodeText(_text: string, record: RawRecord): DecodeOutput {
    return skipped(
      record,
      "falco text output has no process fields: set json_output: true (infra/examples/falco)",
    );
  },
};
