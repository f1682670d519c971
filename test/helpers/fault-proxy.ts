import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { crc32 } from "node:zlib";
import { mulberry32 } from "../bench/generate-telemetry.js";

/**
 * An HTTP proxy on 127.0.0.1 between the functions and dynalite that answers some DynamoDB calls the way a
 * throttled table does, decided by a seeded generator so that a failing run can be replayed:
 *
 * - `throttle`: the call fails with ProvisionedThroughputExceededException (HTTP 400), as the SDK sees it
 *   once its own retries are spent (the tests run the functions with AWS_MAX_ATTEMPTS=1);
 * - `unprocessed`: a BatchWriteItem or BatchGetItem goes through for only part of its items or keys, the
 *   rest coming back as UnprocessedItems / UnprocessedKeys, exactly as DynamoDB answers under throttling.
 *
 * Responses it rewrites get a fresh `x-amz-crc32`, which the SDK checks.
 */
export interface FaultRates {
  /** Probability that a call is throttled, per operation (`PutItem`, `BatchGetItem`…; `*` for the others). */
  readonly throttle: Readonly<Record<string, number>>;
  /** Probability that a batch call leaves part of its items unprocessed. */
  readonly unprocessed: number;
}

export interface FaultLog {
  throttled: Record<string, number>;
  unprocessed: Record<string, number>;
  calls: Record<string, number>;
}

export interface FaultProxy {
  readonly endpoint: string;
  readonly log: FaultLog;
  /** Faults from now on (none at start). */
  setRates(rates: FaultRates | undefined, seed?: number): void;
  close(): Promise<void>;
}

/** Seeded randomness for faults and cuts: the benchmark's generator, so that a failing run can be replayed. */
export const seeded = mulberry32;

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  let rates: FaultRates | undefined;
  let random = seeded(1);
  const log: FaultLog = { throttled: {}, unprocessed: {}, calls: {} };
  const count = (table: Record<string, number>, op: string) => {
    table[op] = (table[op] ?? 0) + 1;
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const target = String(req.headers["x-amz-target"] ?? "");
      const op = target.slice(target.indexOf(".") + 1);
      count(log.calls, op);
      let body = Buffer.concat(chunks);
      const throttleRate = rates?.throttle[op] ?? rates?.throttle["*"] ?? 0;
      if (throttleRate > 0 && random() < throttleRate) {
        count(log.throttled, op);
        return send(res, 400, {
          __type: "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
          message: "The level of configured provisioned throughput for the table was exceeded (injected)",
        });
      }
      let leftOver: ((answer: Record<string, unknown>) => void) | undefined;
      if ((op === "BatchWriteItem" || op === "BatchGetItem") && rates && random() < rates.unprocessed) {
        const input = JSON.parse(body.toString("utf8")) as { RequestItems: Record<string, unknown> };
        const [table, items] = Object.entries(input.RequestItems)[0] ?? [];
        const list = op === "BatchWriteItem" ? (items as unknown[]) : (items as { Keys: unknown[] }).Keys;
        if (table !== undefined && list.length > 0) {
          const keep = Math.floor(list.length / 2);
          const kept = list.slice(0, keep);
          const rest = list.slice(keep);
          count(log.unprocessed, op);
          if (op === "BatchWriteItem") {
            input.RequestItems[table] = kept;
            leftOver = (answer) => {
              answer["UnprocessedItems"] = { [table]: rest };
            };
          } else {
            input.RequestItems[table] = { ...(items as object), Keys: kept };
            leftOver = (answer) => {
              answer["UnprocessedKeys"] = { [table]: { ...(items as object), Keys: rest } };
            };
          }
          if (kept.length === 0) {
            // Nothing processed at all: answer without asking dynalite.
            const answer: Record<string, unknown> =
              op === "BatchGetItem" ? { Responses: { [table]: [] } } : {};
            leftOver(answer);
            return send(res, 200, answer);
          }
          body = Buffer.from(JSON.stringify(input));
        }
      }
      const forward = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, "content-length": String(body.length) },
        },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on("data", (c: Buffer) => parts.push(c));
          answer.on("end", () => {
            const raw = Buffer.concat(parts);
            if (leftOver === undefined || answer.statusCode !== 200) {
              res.writeHead(answer.statusCode ?? 500, answer.headers);
              res.end(raw);
              return;
            }
            const json = JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
            leftOver(json);
            send(res, 200, json);
          });
        },
      );
      forward.on("error", (error) => {
        res.writeHead(502);
        res.end(String(error));
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    log,
    setRates(next, seed = 1) {
      rates = next;
      random = seeded(seed);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: import("node:http").ServerResponse, status: number, body: unknown): void {
  const payload = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    "content-type": "application/x-amz-json-1.0",
    "content-length": String(payload.length),
    "x-amz-crc32": String(crc32(payload)),
    "x-amzn-requestid": "FAULTPROXY",
  });
  res.end(payload);
}
