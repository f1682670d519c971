import type { AddressInfo } from "node:net";
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { NodeHttpHandler } from "@smithy/node-http-handler";

/** The table layout of infra/dynamodb.yml: one hash key, everything else in the item. */
export async function createDetectorTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  // Even a local stand-in goes through CREATING before the table takes writes.
  for (let i = 0; i < 200; i++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === "ACTIVE") return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}

/** A DynamoDB client for a local endpoint (dynalite, DynamoDB Local) or the real service. */
export function dynamoDbClient(endpoint: string | undefined): DynamoDBClient {
  const local = endpoint !== undefined && !process.env["AWS_ACCESS_KEY_ID"];
  return new DynamoDBClient({
    region: process.env["AWS_REGION"] ?? "us-east-1",
    requestHandler: new NodeHttpHandler(),
    ...(endpoint !== undefined && { endpoint }),
    // A local stand-in accepts any credentials; the real service gets the default provider chain.
    ...(local && { credentials: { accessKeyId: "local", secretAccessKey: "local" } }),
  });
}

/**
 * An embedded dynalite on 127.0.0.1 with the detector's table, for the demo. dynalite is loaded at run time
 * (it is a development dependency with native storage bindings, so it stays out of the bundle).
 */
export async function startLocalDynamoDb(tableName = "netutil-detector-demo") {
  const specifier = "dynalite";
  const { default: dynalite } = (await import(specifier)) as {
    default: (options: object) => {
      listen(port: number, host: string, cb: () => void): void;
      address(): AddressInfo;
      close(cb: () => void): void;
    };
  };
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${server.address().port}`;
  const client = dynamoDbClient(endpoint);
  await createDetectorTable(client, tableName);
  return {
    client,
    endpoint,
    tableName,
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
