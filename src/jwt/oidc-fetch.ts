/**
 * How a document of an identity provider (a JWKS, an OpenID configuration) is fetched: no
 * redirect followed, abandoned past `timeoutMs`, read up to `maxBytes` and the connection dropped
 * past it, so a hostile or broken endpoint can neither hang requests nor make every instance
 * buffer hundreds of megabytes.
 */
export interface BoundedFetch {
  timeoutMs: number;
  maxBytes: number;
}

/** A provider document is read up to this many bytes (a key set or a discovery document is a few KiB). */
export const MAX_DOCUMENT_BYTES = 512 * 1024;

/**
 * Fetches `uri` and parses its JSON body, within `limits`. Rejects with an `Error` naming `what`
 * (`'the key set'`) when the answer is not 2xx, too large, not JSON or late; callers turn that
 * into 503 `auth_unavailable`.
 */
export async function fetchJson(uri: string, limits: BoundedFetch, what: string): Promise<unknown> {
  const response = await fetch(uri, {
    signal: AbortSignal.timeout(limits.timeoutMs),
    redirect: 'error',
    headers: { accept: 'application/json' },
  });
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`${what} answered HTTP ${response.status}`);
  }
  const text = await readLimited(response, limits.maxBytes, what);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`${what} is not JSON`, { cause: error });
  }
}

/**
 * The body as text, read chunk by chunk up to `limit` bytes: past it the stream is cancelled
 * (the connection dropped) rather than buffered. A `Content-Length` over the limit is refused unread.
 */
async function readLimited(response: Response, limit: number, what: string): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > limit || response.body === null) {
    await response.body?.cancel();
    if (declared > limit) throw new Error(`${what} is too large`);
    return '';
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new Error(`${what} is too large`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
