/**
 * The README says what --help says (synopsis, formats, exit statuses), and its examples on the repository's
 * own files run from a fresh clone.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { OUTPUT_FORMATS } from "../../lib/cli/alert-output.js";
import { EXIT_MEANINGS, SYNOPSIS, USAGE } from "../../lib/cli/cli-args.js";
import { SOURCE_FORMATS } from "../../lib/telemetry/exec-event.js";
import { cli } from "../helpers/cli.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const readme = readFileSync(`${root}README.md`, "utf8");

/** The fenced blocks of a Markdown text: info string and content. */
const fences = (text: string) =>
  [...text.matchAll(/^```([a-z]*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, body: m[2]!.trimEnd() }));

/** The lines of the table whose header row is `header`, as cells. */
function table(text: string, header: string): string[][] {
  const lines = text.split("\n");
  const start = lines.indexOf(header);
  if (start < 0) throw new Error(`no table with header ${header}`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    rows.push(
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim().replaceAll("\\|", "|")),
    );
  }
  return rows;
}

/** The README's section under `## title`. */
const section = (title: string) => {
  const start = readme.indexOf(`\n## ${title}\n`);
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
};

describe("README and --help", () => {
  it("the CLI section opens with --help's synopsis, verbatim", () => {
    expect(fences(section("CLI"))[0]?.body).toBe(SYNOPSIS);
    expect(USAGE).toContain(SYNOPSIS.replace(/^(?=.)/gm, "  "));
  });

  it("the synopsis names every input format and every output", () => {
    expect(SYNOPSIS).toContain(`FORMAT  auto|${SOURCE_FORMATS.join("|")}`);
    expect(SYNOPSIS).toContain(`OUTPUT  ${OUTPUT_FORMATS.join("|")}`);
  });

  it("the input formats table has one row per format, no more", () => {
    const rows = table(section("Input formats"), "| format | what | lineage it carries | host |");
    expect(rows.map((r) => r[0]).sort()).toEqual(SOURCE_FORMATS.map((f) => `\`${f}\``).sort());
  });

  it("the exit status table says what --help says", () => {
    const rows = table(section("CLI"), "| exit status | meaning |");
    expect(rows).toEqual(EXIT_MEANINGS.map(([code, meaning]) => [String(code), meaning]));
    for (const [code, meaning] of EXIT_MEANINGS) expect(USAGE).toContain(`  ${code}  ${meaning}`);
  });

  it("every option of the synopsis is explained in --help", () => {
    const options = [...new Set(SYNOPSIS.match(/--[a-z-]+/g))].filter(
      (o) => !["--help", "--version"].includes(o),
    );
    expect(options.length).toBeGreaterThan(8);
    const explained = USAGE.slice(USAGE.indexOf("OUTPUT  "));
    for (const option of options) expect(explained, option).toContain(`${option} `);
  });
});

describe("README examples on the repository's files", () => {
  /**
   * `npx netutil-detector replay …` lines of sh blocks whose file is in the repository (not /var/log on a
   * host, not stdin), up to a pipe or a comment.
   */
  const examples = fences(readme)
    .filter((f) => f.lang === "sh")
    .flatMap((f) => f.body.split("\n"))
    .filter((line) => line.startsWith("npx netutil-detector replay "))
    .map((line) =>
      line
        .replace(/\s+#.*$/, "")
        .split(" | ")[0]!
        .trim()
        .split(/\s+/)
        .slice(1),
    )
    .filter((argv) => !argv.at(-1)!.startsWith("/") && argv.at(-1) !== "-");

  it("there are some, and each names a file a fresh clone has", () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const argv of examples) expect(existsSync(`${root}${argv.at(-1)}`), argv.join(" ")).toBe(true);
  });

  it.each(examples.map((argv) => [argv.join(" "), argv]))(
    "%s: exit 0, nothing malformed",
    async (_line, argv) => {
      const { code, stderr } = await cli([
        ...(argv as string[]).slice(1, -1),
        `${root}${(argv as string[]).at(-1)}`,
      ]);
      expect(code).toBe(0);
      expect(stderr).toMatch(/, 0 malformed\n/);
    },
  );
});
