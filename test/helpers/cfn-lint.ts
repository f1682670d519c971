import { spawnSync } from "node:child_process";

/** How to get cfn-lint: a Python tool, not an npm package, so `npm ci` cannot install it. */
export const CFN_LINT_HINT =
  "cfn-lint is not on PATH: install it (pipx install cfn-lint, or pip install --user cfn-lint) to lint the packaged template";

/** Whether `cfn-lint` runs from the PATH of `env`. */
export function cfnLintOnPath(env: NodeJS.ProcessEnv = process.env): boolean {
  const result = spawnSync("cfn-lint", ["--version"], { env, encoding: "utf8", timeout: 60_000 });
  return result.error === undefined && result.status === 0;
}

/** CI=true (what CI services set; .ci/run sets it too). */
export const underCi = (env: NodeJS.ProcessEnv = process.env): boolean =>
  env["CI"] === "true" || env["CI"] === "1";

export type CfnLintPlan =
  | { readonly kind: "run" }
  | { readonly kind: "skip"; readonly note: string }
  | { readonly kind: "fail"; readonly message: string };

/**
 * Lint when cfn-lint is there. On a developer's machine without it the lint tests are reported skipped with the
 * install hint (the rest of the packaging test still runs); under CI its absence is a failure, so that CI can
 * never pass without having linted the template.
 */
export function cfnLintPlan(onPath: boolean, ci: boolean): CfnLintPlan {
  if (onPath) return { kind: "run" };
  if (ci) return { kind: "fail", message: `${CFN_LINT_HINT} (CI=true: CI must lint the template)` };
  return { kind: "skip", note: CFN_LINT_HINT };
}
