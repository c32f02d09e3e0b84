/**
 * The typed API client over fetch. JSON in and out; problem+json errors become ApiError;
 * a 401 triggers one (single-flight) refresh and one retry; `Idempotency-Key` is generated once
 * per call and kept on every retry; `If-Match` from a resource's version; multipart uploads with
 * progress over XMLHttpRequest (fetch has no upload progress).
 *
 * Only the data layer (src/data/) imports this module.
 */
import { ApiError, problemToError } from './errors';
import { TokenManager } from './tokens';
import type { TokenPair } from './types';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  method?: Method;
  query?: Record<string, QueryValue>;
  /** A JSON body. */
  body?: unknown;
  /** A multipart body (no progress; use `upload` for that). */
  form?: FormData;
  /** Send the bearer token (default true). Public endpoints pass false. */
  auth?: boolean;
  /** `true` generates a key (kept on retries); a string is used as is (an outbox keeps its own). */
  idempotencyKey?: string | true;
  /** A version number (sent as `"<version>"`) or an ETag as received. */
  ifMatch?: number | string;
  /** What to read from a successful answer (default `json`; 204 gives undefined). */
  as?: 'json' | 'text' | 'blob' | 'none';
  /** Extra tries after a network failure, 503 or 429 (default 0). Only with an idempotency key or a GET. */
  retries?: number;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

export interface ApiResponse<T> {
  data: T;
  status: number;
  etag: string | null;
  headers: Headers;
}

export interface UploadOptions {
  method?: 'POST' | 'PUT';
  query?: Record<string, QueryValue>;
  field?: string;
  filename?: string;
  ifMatch?: number | string;
  idempotencyKey?: string | true;
  /** Fraction 0..1 of the body sent. */
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
}

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface ClientConfig {
  /** Origin and path prefix of the API; '' means this origin (the app is served by the API). */
  baseUrl?: string;
  tokens: TokenManager;
  fetch?: FetchLike;
  /** Sleeps between retries; tests pass a fake. */
  sleep?: (ms: number) => Promise<void>;
}

export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

export function ifMatchValue(value: number | string): string {
  return typeof value === 'number' ? `"${value}"` : value;
}

/** The version an ETag names (`"7"` → 7), or null. */
export function etagVersion(etag: string | null): number | null {
  const match = etag ? /^(?:W\/)?"?(\d+)"?$/.exec(etag) : null;
  return match ? Number(match[1]) : null;
}

export function buildQuery(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null) params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

async function readBody(response: Response): Promise<unknown> {
  const type = response.headers.get('Content-Type') ?? '';
  if (!type.includes('json')) return null;
  try {
    return await response.json();
  } catch {
    return null;
  }
}

export class ApiClient {
  readonly tokens: TokenManager;
  private readonly baseUrl: string;
  private readonly fetchImpl: FetchLike;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Aborts the signed-in requests when the session ends (`endSession`); renewed at sign-in. */
  private signedIn = new AbortController();

  constructor(config: ClientConfig) {
    this.baseUrl = config.baseUrl ?? '';
    this.tokens = config.tokens;
    this.fetchImpl = config.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.sleep = config.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.tokens.bindRefresh((refreshToken) =>
      this.request<TokenPair>('/v1/auth/refresh', { method: 'POST', body: { refresh_token: refreshToken }, auth: false }),
    );
    this.tokens.subscribe({
      onTokens: () => {
        if (this.signedIn.signal.aborted) this.signedIn = new AbortController();
      },
    });
  }

  url(path: string, query?: Record<string, QueryValue>): string {
    return `${this.baseUrl}${path}${buildQuery(query)}`;
  }

  /**
   * Ends the session with `path` (the sign-out call). That call revokes the token of every
   * signed-in request, which would come back 401: those in flight are cancelled, and new ones
   * (a sync waking from its wait, a reconnect) are refused until the next sign-in. When the
   * call fails (offline), requests go on as before and the error is the caller's.
   */
  async endSession(path: string): Promise<void> {
    this.signedIn.abort();
    try {
      await this.dispatch(path, { method: 'POST' }, undefined);
    } catch (error) {
      this.signedIn = new AbortController();
      throw error;
    }
  }

  /** The caller's signal, and for signed-in requests the session's. */
  private signalFor(auth: boolean, signal: AbortSignal | undefined): AbortSignal | undefined {
    if (!auth) return signal;
    return signal ? AbortSignal.any([signal, this.signedIn.signal]) : this.signedIn.signal;
  }

  /** The body of a successful answer. */
  async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return (await this.send<T>(path, options)).data;
  }

  get<T>(path: string, query?: Record<string, QueryValue>, options: RequestOptions = {}): Promise<T> {
    return this.request<T>(path, { ...options, method: 'GET', query });
  }

  post<T>(path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>(path, { ...options, method: 'POST', body });
  }

  put<T>(path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>(path, { ...options, method: 'PUT', body });
  }

  patch<T>(path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>(path, { ...options, method: 'PATCH', body });
  }

  delete<T = undefined>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>(path, { ...options, method: 'DELETE' });
  }

  /** The answer with its status, ETag and headers (for `If-Match` round trips, snapshots). */
  send<T>(path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    return this.dispatch<T>(path, options, this.signalFor(options.auth ?? true, options.signal));
  }

  private async dispatch<T>(path: string, options: RequestOptions, signal: AbortSignal | undefined): Promise<ApiResponse<T>> {
    const method = options.method ?? 'GET';
    const auth = options.auth ?? true;
    const headers: Record<string, string> = { Accept: 'application/json, application/problem+json', ...options.headers };
    let body: BodyInit | undefined;
    if (options.form) {
      body = options.form;
    } else if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    if (options.idempotencyKey !== undefined) {
      headers['Idempotency-Key'] = options.idempotencyKey === true ? newIdempotencyKey() : options.idempotencyKey;
    }
    if (options.ifMatch !== undefined) headers['If-Match'] = ifMatchValue(options.ifMatch);
    const retriable = method === 'GET' || headers['Idempotency-Key'] !== undefined;
    let retriesLeft = retriable ? (options.retries ?? 0) : 0;
    let refreshed = false;
    const url = this.url(path, options.query);

    for (;;) {
      if (signal?.aborted) throw new ApiError({ status: 0, code: 'aborted', title: 'Cancelled' });
      let token: string | null = null;
      if (auth) {
        token = await this.tokens.accessToken();
        headers.Authorization = `Bearer ${token}`;
      }
      let response: Response;
      try {
        response = await this.fetchImpl(url, { method, headers: { ...headers }, body, signal, credentials: 'same-origin' });
      } catch (cause) {
        if (signal?.aborted) throw new ApiError({ status: 0, code: 'aborted', title: 'Cancelled' });
        const error = new ApiError({ status: 0, code: 'network_error', title: 'No connection', detail: String(cause) });
        if (retriesLeft-- > 0) {
          await this.sleep(1000);
          continue;
        }
        throw error;
      }
      // A 401 `invalid_credentials` on a signed-in call is a wrong password (password change,
      // deactivation), not a dead token: no refresh, no sign-out.
      const failure = response.status === 401 && auth ? problemToError(401, response.headers, await readBody(response)) : null;
      if (failure?.code === 'invalid_credentials') throw failure;
      if (response.status === 401 && auth && !refreshed) {
        refreshed = true;
        await this.tokens.refresh(token);
        continue;
      }
      if (!response.ok && response.status !== 304) {
        const error = failure ?? problemToError(response.status, response.headers, await readBody(response));
        if (response.status === 401 && auth) {
          // Refused again right after a refresh: the session is gone.
          this.tokens.signedOut('revoked');
        }
        if (error.transient && retriesLeft-- > 0) {
          await this.sleep(Math.min(30, error.retryAfter ?? 1) * 1000);
          continue;
        }
        throw error;
      }
      const etag = response.headers.get('ETag');
      let data: unknown;
      const as = options.as ?? 'json';
      if (response.status === 204 || response.status === 304 || method === 'HEAD' || as === 'none') data = undefined;
      else if (as === 'blob') data = await response.blob();
      else if (as === 'text') data = await response.text();
      else {
        // 202 (accepted: a mail is on its way) and some 201s carry no body at all.
        const text = await response.text();
        try {
          data = text.trim() === '' ? undefined : JSON.parse(text);
        } catch {
          throw new ApiError({ status: response.status, code: 'bad_response', title: 'Unreadable answer' });
        }
      }
      return { data: data as T, status: response.status, etag, headers: response.headers };
    }
  }

  /**
   * A multipart upload of one file with progress (XMLHttpRequest: fetch cannot report upload
   * progress). A 401 refreshes once and sends again, with the same Idempotency-Key.
   */
  async upload<T>(path: string, file: Blob, options: UploadOptions = {}): Promise<T> {
    const key = options.idempotencyKey === true ? newIdempotencyKey() : options.idempotencyKey;
    let refreshed = false;
    for (;;) {
      const token = await this.tokens.accessToken();
      const result = await this.xhr(path, file, { ...options, signal: this.signalFor(true, options.signal) }, token, key);
      if (result.status === 401 && !refreshed) {
        refreshed = true;
        await this.tokens.refresh(token);
        continue;
      }
      if (result.status < 200 || result.status >= 300) {
        if (result.status === 401) this.tokens.signedOut('revoked');
        throw problemToError(result.status, result.headers, result.body);
      }
      return result.body as T;
    }
  }

  private xhr(
    path: string,
    file: Blob,
    options: UploadOptions,
    token: string,
    key: string | undefined,
  ): Promise<{ status: number; body: unknown; headers: { get(name: string): string | null } }> {
    return new Promise((resolve, reject) => {
      const request = new XMLHttpRequest();
      request.open(options.method ?? 'PUT', this.url(path, options.query));
      request.setRequestHeader('Authorization', `Bearer ${token}`);
      request.setRequestHeader('Accept', 'application/json, application/problem+json');
      if (key) request.setRequestHeader('Idempotency-Key', key);
      if (options.ifMatch !== undefined) request.setRequestHeader('If-Match', ifMatchValue(options.ifMatch));
      request.upload.onprogress = (event) => {
        if (event.lengthComputable) options.onProgress?.(event.loaded / event.total);
      };
      request.onload = () => {
        let body: unknown;
        try {
          body = request.responseText ? JSON.parse(request.responseText) : null;
        } catch {
          body = null;
        }
        options.onProgress?.(1);
        resolve({ status: request.status, body, headers: { get: (name) => request.getResponseHeader(name) } });
      };
      request.onerror = () => reject(new ApiError({ status: 0, code: 'network_error', title: 'No connection' }));
      request.onabort = () => reject(new ApiError({ status: 0, code: 'aborted', title: 'Cancelled' }));
      options.signal?.addEventListener('abort', () => request.abort(), { once: true });
      const form = new FormData();
      const name = options.filename ?? (file instanceof File ? file.name : 'upload');
      form.append(options.field ?? 'file', file, name);
      request.send(form);
    });
  }
}
