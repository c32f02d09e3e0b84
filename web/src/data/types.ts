/** The types and the error class screens may use (they never import src/api/ itself). */
export { ApiError } from '../api/errors';
export type { FieldError } from '../api/errors';
export type * from '../api/types';
export type { SignOutReason } from '../api/tokens';
