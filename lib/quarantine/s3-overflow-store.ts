import { createHash } from "node:crypto";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { callAws } from "../aws/retry.js";
import { DetectorError } from "../errors.js";
import type { OverflowStore, StoredObject } from "./overflow-store.js";

export interface S3OverflowStoreOptions {
  readonly client: S3Client;
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
  readonly #client: S3Client;
  readonly #bucket: string;

  constructor(options: S3OverflowStoreOptions) {
    this.#client = options.client;
    this.#bucket = options.bucket;
  }

  async put(bytes: Buffer): Promise<StoredObject> {
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    // Two hex characters of prefix spread the keys; the rest of the hash names the bytes.
    const key = `${OVERFLOW_PREFIX}${sha256.slice(0, 2)}/${sha256}`;
    try {
      await callAws("S3 PutObject", { bucket: this.#bucket, key }, () =>
        this.#client.send(
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
