import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CFN_LINT_HINT, cfnLintOnPath, cfnLintPlan, underCi } from "../helpers/cfn-lint.js";

/** When the packaging test lints, skips or fails (test/infra/package.test.ts). */
describe("cfn-lint in the packaging test", () => {
  it.each([
    [true, false, { kind: "run" }],
    [true, true, { kind: "run" }],
    [false, false, { kind: "skip", note: CFN_LINT_HINT }],
    [false, true, { kind: "fail", message: `${CFN_LINT_HINT} (CI=true: CI must lint the template)` }],
  ])("on PATH %s, CI %s → %j", (onPath, ci, plan) => {
    expect(cfnLintPlan(onPath, ci)).toEqual(plan);
  });

  it("the hint says how to install it", () => {
    expect(CFN_LINT_HINT).toMatch(/^cfn-lint is not on PATH: install it \(pipx install cfn-lint/);
  });

  it.each([
    [{ CI: "true" }, true],
    [{ CI: "1" }, true],
    [{ CI: "false" }, false],
    [{ CI: "" }, false],
    [{}, false],
  ])("CI environment %j → %s", (env, ci) => {
    expect(underCi(env)).toBe(ci);
  });

  describe("cfnLintOnPath", () => {
    const dir = mkdtempSync(join(tmpdir(), "netutil-cfn-lint-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const bin = (name: string, script: string) => {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, "cfn-lint"), script);
      chmodSync(join(dir, name, "cfn-lint"), 0o755);
      return join(dir, name);
    };
    const working = bin("working", "#!/bin/sh\necho 'cfn-lint 1.0.0'\n");
    const broken = bin("broken", "#!/bin/sh\nexit 1\n");
    mkdirSync(join(dir, "empty"));

    it.each([
      ["a cfn-lint that runs", working, true],
      ["a cfn-lint that fails to start", broken, false],
      ["no cfn-lint at all", join(dir, "empty"), false],
    ])("PATH with %s → %s", (_name, path, found) => {
      expect(cfnLintOnPath({ PATH: path })).toBe(found);
    });
  });
});
