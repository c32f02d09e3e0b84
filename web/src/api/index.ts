/** The app's one API client. Only src/data/ imports it. */
import { ApiClient } from './client';
import { LocalRefreshStore, TokenManager } from './tokens';

export const tokens = new TokenManager(new LocalRefreshStore());
export const api = new ApiClient({ tokens });

export { ApiClient } from './client';
export type { ApiResponse, RequestOptions, UploadOptions } from './client';
export { etagVersion, newIdempotencyKey } from './client';
export { ApiError } from './errors';
export type { FieldError } from './errors';
export { TokenManager, MemoryRefreshStore } from './tokens';
export type { SignOutReason } from './tokens';
export type * from './types';
