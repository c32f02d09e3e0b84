/** The sentence to show for a failure: the area's own for its code, else the common one. */
import { ApiError } from '../data/types';
import { errorText } from '../i18n';

export function errorMessage(error: unknown, area?: string): string {
  if (error instanceof ApiError) return errorText(error.code, area);
  return errorText('generic');
}
