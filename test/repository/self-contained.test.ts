/**
 * The repository stands alone: a clone is all `npm ci && npm test` and the README's examples need. Sample
 * telemetry lives in test/fixtures/samples with its provenance; nothing refers to a folder beside the checkout.
 */
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { readSample, samplePath, telemetrySampleFiles } from "../helpers/samples.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** Tracked files, and new ones not ignored (so that a reference is caught before it is committed). */
function repositoryFiles(): string[] | undefined {
  try {
    const out = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
      cwd: root,
      encoding: "utf8",
      maxBuffer: 64 << 20,
    });
    return out.split("\0").filter((f) => f.length > 0 && existsSync(join(root, f)));
  } catch {
    return undefined;
  }
}

// Spelled in pieces so that this file does not match itself.
const OUTSIDE = [`..${"/"}shared`, `..${"\\"}shared`, `shared${"/"}samples`];

/** Each line of `text` that names a folder outside the repository. */
const outsideReferences = (text: string): string[] =>
  text.split("\n").filter((line) => OUTSIDE.some((needle) => line.includes(needle)));

describe("no file refers to a folder beside the checkout", () => {
  it.each([
    [
      "a test reading a sample",
      `readFileSync(new URL("../../../..${"/"}shared${"/"}samples/x.log", import.meta.url))`,
    ],
    [
      "a README example",
      `npx netutil-detector replay ..${"/"}shared${"/"}samples/captured/exec-cases.auditd.log`,
    ],
    ["an absolute path", `/work/shared${"/"}samples/upstream/PROVENANCE.md`],
    ["a Windows path", `..${"\\"}shared\\samples\\x.log`],
  ])("the check sees %s", (_name, line) => {
    expect(outsideReferences(`ok\n${line}\nok`)).toEqual([line]);
  });

  it.each([
    ["the samples' new home", "test/fixtures/samples/captured/exec-cases.auditd.log"],
    ["the word shared in prose", "the table is shared; shared-memory tmpfs"],
  ])("and lets %s pass", (_name, line) => {
    expect(outsideReferences(line)).toEqual([]);
  });

  it("git ls-files: not one reference in any tracked file", (ctx) => {
    const files = repositoryFiles();
    if (files === undefined) {
      if (process.env["CI"] === "true") throw new Error("git ls-files failed: CI must run on a git clone");
      ctx.skip("not a git checkout: git ls-files has nothing to list");
    }
    expect(files!.length).toBeGreaterThan(100);
    const found = files!.flatMap((file) =>
      outsideReferences(readFileSync(join(root, file), "latin1")).map((line) => `${file}: ${line.trim()}`),
    );
    expect(found).toEqual([]);
  });
});

describe("test/fixtures/samples", () => {
  /** PROVENANCE.md's tables, per `## dir/` section: file name → licence. */
  const provenance = (): Map<string, Map<string, string>> => {
    const sections = new Map<string, Map<string, string>>();
    let current: Map<string, string> | undefined;
    for (const line of readSample("upstream/PROVENANCE.md").split("\n")) {
      const heading = /^## ([a-z]+)\/$/.exec(line);
      if (heading) {
        current = new Map();
        sections.set(heading[1]!, current);
      }
      const cells = line.split("|").map((c) => c.trim());
      if (current && cells.length > 5 && cells[1] !== "File" && !/^-+$/.test(cells[1]!)) {
        current.set(cells[1]!, cells[4]!);
      }
    }
    return sections;
  };

  it("every upstream file is in PROVENANCE.md with its licence, and every row names a file that is there", () => {
    const sections = provenance();
    const dirs = readdirSync(samplePath("upstream"), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    expect([...sections.keys()].sort()).toEqual(dirs);
    for (const dir of dirs) {
      const rows = sections.get(dir)!;
      expect(readdirSync(samplePath(`upstream/${dir}`)).sort(), dir).toEqual([...rows.keys()].sort());
      for (const [file, licence] of rows) expect(licence, `${dir}/${file}`).toMatch(/\S/);
    }
  });

  it("the captured recording keeps the script that made it and its README", () => {
    expect(readdirSync(samplePath("captured")).sort()).toEqual([
      "README.md",
      "exec-cases.auditd.log",
      "exec-cases.laurel.jsonl",
      "exec-cases.sh",
    ]);
  });

  it("telemetrySampleFiles lists the telemetry, not documentation, scripts, test-harness fragments or envelopes", () => {
    expect(telemetrySampleFiles().filter((f) => !f.startsWith("recorded/"))).toEqual([
      "captured/exec-cases.auditd.log",
      "captured/exec-cases.laurel.jsonl",
      "upstream/auditd/go-libaudit_auparse_rhel7_hex-encoded.log-excerpt",
      "upstream/auditd/go-libaudit_testdata_normal.log",
      "upstream/ecs/beats_auditbeat_auditd_meta_execve.json",
      "upstream/falco/website_blog_k8smeta_text-output.txt",
      "upstream/falco/website_blog_openfaas_alerts.jsonl",
      "upstream/falco/website_docs_outputs_channels_terminal-shell.json",
      "upstream/ocsf/ocsf-docs_process_activity_launch_1007.json",
      "upstream/osquery/docs_process-auditing_process_events_curl.json",
      "upstream/osquery/docs_process-auditing_socket_events_curl.json",
      "upstream/tetragon/docs_concepts_events_curl_exec.json",
      "upstream/tetragon/isovalent-book_lifecycle_sh_process_exec.json",
      "upstream/tetragon/isovalent-book_nc_process_exec.json",
      "upstream/tetragon/isovalent-book_nc_process_exit.json",
      "upstream/tetragon/testdata_events.json",
    ]);
  });

  describe("telemetrySampleFiles on a tree with a recorded/ directory", () => {
    const tree = mkdtempSync(join(tmpdir(), "netutil-samples-"));
    afterAll(() => rmSync(tree, { recursive: true, force: true }));
    const files = [
      "recorded/README.md",
      "recorded/record.sh",
      "recorded/.gitkeep",
      "recorded/debian-12/web-shell.auditd.log",
      "recorded/debian-12/web-shell.laurel.jsonl",
      "recorded/debian-12/rotated/audit.log.2.gz",
      "upstream/aws/powertools_kinesis_stream.json",
      "upstream/auditd/x.yaml",
      "captured/exec-cases.auditd.log",
    ];
    for (const file of files) {
      mkdirSync(dirname(join(tree, file)), { recursive: true });
      writeFileSync(join(tree, file), "");
    }

    it("walks every level, sorted, relative, with / separators", () => {
      expect(telemetrySampleFiles(tree)).toEqual([
        "captured/exec-cases.auditd.log",
        "recorded/debian-12/rotated/audit.log.2.gz",
        "recorded/debian-12/web-shell.auditd.log",
        "recorded/debian-12/web-shell.laurel.jsonl",
      ]);
    });

    it("a tree without the directory gives an empty list, not an error", () => {
      expect(telemetrySampleFiles(join(tree, "absent"))).toEqual([]);
    });
  });
});
