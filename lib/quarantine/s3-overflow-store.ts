import { createHash } from "node:crypto";
import type { S3Client } from "@aws-sdk/client-s3";
import { callAws } from "../aws/retry.js";
import { DetectorError } from "../errors.js";
import type { OverflowStore, StoredObject } from "./overflow-store.js";

export interface S3OverflowStoreOptions {
  /**
   * The client, or how to make it on first use: overflow is rare, and the S3 client module costs cold-start
   * time in every container that loads it (lib/wiring.ts makes it on demand).
   */
  readonly client: S3Client | (() => Promise<S3Client>);
  readonly bucket: string;
}

/** The key prefix the functions may write (infra: s3:PutObject on `quarantine/*` only). */
export const OVERFLOW_PREFIX = "quarantine/";

/**
 * Quarantined bytes too large for SQS, in S3 under their SHA-256: a redelivered record overwrites its own
 * object with the same bytes, so retries leave no strays. The bucket encrypts, refuses plain HTTP and
 * expires objects with the queue's retention (infra). Any failure is retryable for the trigger: the record
 * is delivered again rather than set aside without its bytes.
 */
export class S3OverflowStore implements OverflowStore {
  readonly #makeClient: () => Promise<S3Client>;
  #client: Promise<S3Client> | undefined;
  readonly #bucket: string;

  constructor(options: S3OverflowStoreOptions) {
    const { client } = options;
    this.#makeClient = typeof client === "function" ? client : async () => client;
    this.#bucket = options.bucket;
  }

  async put(bytes: Buffer): Promise<StoredObject> {
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    // Two hex characters of prefix spread the keys; the rest of the hash names the bytes.
    const key = `${OVERFLOW_PREFIX}${sha256.slice(0, 2)}/${sha256}`;
    try {
      // Loaded on first use, like the client: a container that never overflows never loads the module.
      this.#client ??= this.#makeClient();
      const [{ PutObjectCommand }, client] = await Promise.all([import("@aws-sdk/client-s3"), this.#client]);
      await callAws("S3 PutObject", { bucket: this.#bucket, key }, () =>
        client.send(
          new PutObjectCommand({
            Bucket: this.#bucket,
            Key: key,
            Body: bytes,
            ContentType: "application/octet-stream",
            ChecksumSHA256: Buffer.from(sha256, "hex").toString("base64"),
          }),
        ),
      );
    } catch (error) {
      throw new DetectorError(`quarantine overflow: ${(error as Error).message}`, {
        retryable: true,
        cause: error,
        context: { bucket: this.#bucket, key, bytes: bytes.length },
      });
    }
    return { bucket: this.#bucket, key, sha256 };
  }
}
