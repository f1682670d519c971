import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the stand-in webhook received. */
export interface WebhookRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** How the stand-in answers: a status with optional headers and body, or never (the client must time out). */
export type WebhookReply =
  | { readonly status: number; readonly body?: string; readonly headers?: Record<string, string> }
  | { readonly hang: true };

export interface WebhookServer {
  /** The hook's URL, secret path included, as the SSM parameter would hold it. */
  readonly url: string;
  /** The secret part of the URL: tests check it never shows in errors or logs. */
  readonly token: string;
  readonly requests: WebhookRequest[];
  /** Requests answered 2xx: what Slack accepted and would show. */
  readonly accepted: WebhookRequest[];
  /** Sets how later requests are answered (`n` counts from 1 across the server's life). */
  respond(reply: (request: WebhookRequest, n: number) => WebhookReply | Promise<WebhookReply>): void;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 (random port) standing in for a Slack incoming webhook: it answers `ok`
 * by default, as Slack does, and records every request.
 */
export async function startWebhookServer(): Promise<WebhookServer> {
  const token = `T0LOCAL/B0LOCAL/s3cr3t${Math.random().toString(36).slice(2, 12)}`;
  const requests: WebhookRequest[] = [];
  const accepted: WebhookRequest[] = [];
  let reply: (request: WebhookRequest, n: number) => WebhookReply | Promise<WebhookReply> = () => ({
    status: 200,
    body: "ok",
  });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const request: WebhookRequest = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      requests.push(request);
      const answer = await reply(request, requests.length);
      if ("hang" in answer) return;
      if (answer.status >= 200 && answer.status < 300) accepted.push(request);
      res.writeHead(answer.status, { "content-type": "text/plain", ...answer.headers });
      res.end(answer.body ?? "");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/services/${token}`,
    token,
    requests,
    accepted,
    respond(next) {
      reply = next;
    },
    async close() {
      // Hanging requests and keep-alive sockets would hold close() open.
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}
