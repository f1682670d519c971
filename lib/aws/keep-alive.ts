import { NodeHttpHandler } from "@smithy/node-http-handler";

export function keepAlive(): NodeHttpHandler {
  // Lambda reuses the container: keep connections to DynamoDB, SNS and SQS open across invocations.
  return new NodeHttpHandler({
    connectionTimeout: 2_000,
    requestTimeout: 5_000,
    httpAgent: { keepAlive: true },
    httpsAgent: { keepAlive: true },
  });
}
