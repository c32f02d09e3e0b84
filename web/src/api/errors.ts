/** Errors the API answers (RFC 9457 problem documents) and failures on the way to it. */

export interface FieldError {
  loc: (string | number)[];
  msg: string;
}

/**
 * Every failed call rejects with an ApiError. Screens branch on `code`, the contract's stable
 * snake_case string (`email_taken`, `precondition_failed`, ...). Failures that never reached the
 * API have `status` 0 and the codes below.
 */
export type ClientErrorCode = 'network_error' | 'aborted' | 'bad_response';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string | null;
  readonly errors: FieldError[];
  /** Seconds, from `Retry-After` (429, 503). */
  readonly retryAfter: number | null;

  constructor(init: {
    status: number;
    code: string;
    title?: string;
    detail?: string | null;
    errors?: FieldError[];
    retryAfter?: number | null;
  }) {
    super(init.detail ?? init.title ?? init.code);
    this.name = 'ApiError';
    this.status = init.status;
    this.code = init.code;
    this.title = init.title ?? init.code;
    this.detail = init.detail ?? null;
    this.errors = init.errors ?? [];
    this.retryAfter = init.retryAfter ?? null;
  }

  /** True for failures worth trying again later (offline, 503, 429). */
  get transient(): boolean {
    return this.status === 0 ? this.code === 'network_error' : this.status === 503 || this.status === 429;
  }

  /** The message of the first validation error at a field (`['body', 'email']` → `email`). */
  fieldMessage(field: string): string | null {
    const hit = this.errors.find((error) => error.loc[error.loc.length - 1] === field);
    return hit ? hit.msg : null;
  }
}

/** Codes the client uses when the answer carried none (an old proxy, an HTML error page). */
const FALLBACK_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  412: 'precondition_failed',
  413: 'too_large',
  415: 'unsupported_media_type',
  422: 'validation_error',
  423: 'account_locked',
  429: 'rate_limited',
  503: 'unavailable',
};

function retryAfterSeconds(value: string | null): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.round((date - Date.now()) / 1000));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Turns a failed answer's status, headers and (parsed or not) body into an ApiError. */
export function problemToError(status: number, headers: { get(name: string): string | null }, body: unknown): ApiError {
  const problem = isRecord(body) ? body : {};
  const code = typeof problem.code === 'string' ? problem.code : (FALLBACK_CODES[status] ?? (status >= 500 ? 'server_error' : 'http_error'));
  const errors = Array.isArray(problem.errors)
    ? problem.errors.filter(isRecord).map((error) => ({
        loc: Array.isArray(error.loc) ? (error.loc as (string | number)[]) : [],
        msg: typeof error.msg === 'string' ? error.msg : '',
      }))
    : [];
  return new ApiError({
    status,
    code,
    title: typeof problem.title === 'string' ? problem.title : `HTTP ${status}`,
    detail: typeof problem.detail === 'string' ? problem.detail : null,
    errors,
    retryAfter: retryAfterSeconds(headers.get('Retry-After')),
  });
}
