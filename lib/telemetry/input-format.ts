import { SOURCE_FORMATS } from "./exec-event.js";

/** What a user can ask for with `--format`: one source, or `auto` (detected per record). */
export const INPUT_FORMATS = ["auto", ...SOURCE_FORMATS] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

export const isInputFormat = (value: string): value is InputFormat =>
  (INPUT_FORMATS as readonly string[]).includes(value);
