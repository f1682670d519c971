/**
 * Reads a packaged AWS::CloudWatch::Dashboard's body (infra/dashboard.yml): the Fn::Sub resolved with
 * placeholders, then the JSON's widgets and the metrics they plot.
 */

/** One metric a widget plots: namespace, name and exact dimensions, and the entry's options. */
export interface DashboardMetric {
  readonly widget: string;
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly options: Readonly<Record<string, unknown>>;
}

export interface Widget {
  readonly type: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: Readonly<Record<string, unknown>>;
}

/** A metric math entry: `{ expression, id }`, over the ids of other entries of its widget. */
export interface DashboardExpression {
  readonly widget: string;
  readonly expression: string;
  readonly id: string;
}

/**
 * The string an `Fn::Sub` (plain or with a variable map) stands for once deployed: `${AWS::Region}` becomes
 * `region`, a variable its value, `${Resource}` and `${Resource.Attribute}` the placeholders `<Resource>` and
 * `<Resource.Attribute>`. A name that is none of these throws: CloudFormation would reject the template.
 */
export function resolveSub(sub: unknown, resources: ReadonlySet<string>, region: string): string {
  const [text, variables] =
    typeof sub === "string"
      ? [sub, {}]
      : Array.isArray(sub) && typeof sub[0] === "string" && sub.length === 2
        ? [sub[0], sub[1] as Record<string, unknown>]
        : [undefined, {}];
  if (text === undefined) throw new Error(`not an Fn::Sub argument: ${JSON.stringify(sub)}`);
  return text.replace(/\$\{([^}]*)\}/g, (_all, name: string) => {
    if (name === "AWS::Region") return region;
    const value = variables[name];
    if (value !== undefined) {
      if (typeof value !== "string") throw new Error(`Fn::Sub variable ${name} is not a string`);
      return value;
    }
    const logicalId = name.split(".")[0] ?? "";
    if (!resources.has(logicalId)) throw new Error(`Fn::Sub names \${${name}}, no such resource or variable`);
    return `<${name}>`;
  });
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export function widgetsOf(body: string): Widget[] {
  const parsed = JSON.parse(body) as unknown;
  if (!isRecord(parsed) || !Array.isArray(parsed["widgets"])) throw new Error("no widgets in the body");
  return parsed["widgets"] as Widget[];
}

/** Every metric and expression the metric widgets plot; the "." and "..." shorthands are refused. */
export function plotted(widgets: readonly Widget[]): {
  metrics: DashboardMetric[];
  expressions: DashboardExpression[];
} {
  const metrics: DashboardMetric[] = [];
  const expressions: DashboardExpression[] = [];
  for (const w of widgets.filter((x) => x.type === "metric")) {
    const widget = String(w.properties["title"]);
    const entries = w.properties["metrics"];
    if (!Array.isArray(entries)) throw new Error(`${widget}: no metrics`);
    for (const entry of entries as unknown[][]) {
      const [head] = entry;
      if (isRecord(head)) {
        expressions.push({ widget, expression: String(head["expression"]), id: String(head["id"]) });
        continue;
      }
      const last = entry.at(-1);
      const options = isRecord(last) ? last : {};
      const strings = isRecord(last) ? entry.slice(0, -1) : entry;
      if (!strings.every((s) => typeof s === "string") || strings.length % 2 !== 0)
        throw new Error(`${widget}: malformed entry ${JSON.stringify(entry)}`);
      const [namespace, name, ...pairs] = strings as string[];
      if (strings.some((s) => s === "." || s === "..."))
        throw new Error(`${widget}: shorthand in ${JSON.stringify(entry)}`);
      const dimensions: Record<string, string> = {};
      for (let i = 0; i < pairs.length; i += 2) dimensions[pairs[i]!] = pairs[i + 1]!;
      metrics.push({ widget, namespace: namespace!, name: name!, dimensions, options });
    }
  }
  return { metrics, expressions };
}
