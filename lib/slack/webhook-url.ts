import { GetParameterCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { awsCallError } from "../aws/retry.js";
import { DetectorError } from "../errors.js";

/** Where the notifier gets the webhook URL: a port, so that the trigger never sees SSM. */
export interface WebhookUrlSource {
  get(): Promise<string>;
  /** Drops a cached URL that Slack refused (revoked hook), so that the next call reads it again. */
  forget(): void;
}

export interface SsmWebhookUrlOptions {
  readonly client: SSMClient;
  /** The SecureString parameter's name (SLACK_WEBHOOK_PARAMETER), e.g. /netutil-detector/prod/slack-webhook-url. */
  readonly parameterName: string;
}

/**
 * The Slack webhook URL, read from SSM Parameter Store once per container and kept: it is a secret, so it
 * stays out of the function's environment (visible to anyone who may read the configuration) and out of
 * every log line and error message.
 *
 * The promise is cached, so that concurrent first calls share one GetParameter; a failed read is not (the
 * next invocation tries again rather than failing for the container's lifetime). `forget()` drops the
 * cached URL after Slack says the hook is gone, so that a URL rotated in SSM is picked up by warm containers.
 */
export class SsmWebhookUrl implements WebhookUrlSource {
  readonly #client: SSMClient;
  readonly #name: string;
  #url: Promise<string> | undefined;

  constructor(options: SsmWebhookUrlOptions) {
    this.#client = options.client;
    this.#name = options.parameterName;
  }

  get(): Promise<string> {
    if (this.#url === undefined) {
      const loading = this.#load();
      this.#url = loading;
      loading.catch(() => {
        if (this.#url === loading) this.#url = undefined;
      });
    }
    return this.#url;
  }

  forget(): void {
    this.#url = undefined;
  }

  async #load(): Promise<string> {
    let value: string | undefined;
    try {
      const output = await this.#client.send(
        new GetParameterCommand({ Name: this.#name, WithDecryption: true }),
      );
      value = output.Parameter?.Value;
    } catch (error) {
      // ParameterNotFound and AccessDenied are not retryable: the event waits in the failure queue until
      // the operator creates the parameter or fixes the role.
      throw awsCallError(`SSM GetParameter ${this.#name}`, error, { parameter: this.#name });
    }
    if (value === undefined || value === "") {
      throw new DetectorError(`SSM parameter ${this.#name} has no value`, {
        context: { parameter: this.#name },
      });
    }
    return checkWebhookUrl(value, this.#name);
  }
}

/**
 * The URL must be https (the post carries alert details, the path is the credential), with one exception
 * for tests: plain http to 127.0.0.1. Any https host is accepted: Slack Enterprise Grid, a proxy or a
 * compatible chat server can stand behind it. The value itself never appears in the error.
 */
export function checkWebhookUrl(value: string, source: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new DetectorError(`${source} does not hold a URL (value not shown: it is a secret)`, {
      context: { parameter: source },
    });
  }
  const local = url.protocol === "http:" && url.hostname === "127.0.0.1";
  if (url.protocol !== "https:" && !local) {
    throw new DetectorError(
      `${source} holds a ${url.protocol.replace(/:$/, "")} URL; the webhook must be https`,
      {
        context: { parameter: source },
      },
    );
  }
  if (url.username !== "" || url.password !== "") {
    throw new DetectorError(`${source} holds a URL with credentials in it; a webhook URL has none`, {
      context: { parameter: source },
    });
  }
  return url.href;
}
