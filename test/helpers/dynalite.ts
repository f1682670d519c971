import type { Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createDetectorTable } from "../../lib/cli/local-dynamodb.js";

/** dynalite ships no types: the one option used here and the server it returns. */
type Dynalite = (options: {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => Server;
const dynalite = createRequire(import.meta.url)("dynalite") as Dynalite;

export interface LocalDynamo {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** A client of its own, for tests that wrap or instrument one (middleware, send) without touching `client`. */
  newClient(): DynamoDBClient;
  close(): Promise<void>;
}

let tables = 0;

/**
 * dynalite in this process on a random port with the project's one table (hash key `pk`, on demand), for
 * `beforeAll`/`afterAll`. dynalite has no UpdateTimeToLive and no transactions: nothing may call them.
 */
export async function startDynalite(tableName = `netutil-test-${++tables}`): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: DynamoDBClient[] = [];
  const newClient = () => {
    const client = new DynamoDBClient({
      region: "us-east-1",
      endpoint,
      credentials: { accessKeyId: "AKIDLOCAL", secretAccessKey: "local-secret" },
    });
    clients.push(client);
    return client;
  };
  const client = newClient();

  await createDetectorTable(client, tableName);

  return {
    endpoint,
    client,
    tableName,
    newClient,
    async close() {
      for (const c of clients) c.destroy();
      // Keep-alive sockets would hold server.close() open.
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
