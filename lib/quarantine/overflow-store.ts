/** An object holding a quarantined record's bytes, too large for its queue message. */
export interface StoredObject {
  readonly bucket: string;
  readonly key: string;
  /** SHA-256 of the bytes (hex), also the object's name: the same record stored twice is one object. */
  readonly sha256: string;
}

/**
 * Where raw bytes too large for a quarantine message go (the SQS extended-client pattern: the message
 * points to the object). In AWS an S3 bucket (lib/quarantine/s3-overflow-store.ts).
 */
export interface OverflowStore {
  put(bytes: Buffer): Promise<StoredObject>;
}
