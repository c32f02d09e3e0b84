/**
 * Paper-card scans: upload a photo, watch it being read, accept it into contacts.
 * Owner: the scans helper. The API has no push for a scan's end, so a screen watching a
 * pending scan polls `GET /v1/scans/{id}` with a growing delay (0.5 s, ×1.5, at most 5 s);
 * the server fails a scan whose read was lost after 30 minutes, so the watch always ends.
 */
import { api, type Contact, type ContactInput, type Scan } from '../api';
import { invalidate, query, type Query } from './query';

/** Starts reading a photo; answers `{id, status: 'pending'}` (the rest comes with `scanQuery`). */
export async function startScan(profileId: string, photo: Blob, region = 'KR', onProgress?: (fraction: number) => void): Promise<Pick<Scan, 'id' | 'status'>> {
  return api.upload<Pick<Scan, 'id' | 'status'>>(`/v1/profiles/${encodeURIComponent(profileId)}/scans`, photo, {
    method: 'POST',
    query: { region },
    idempotencyKey: true,
    onProgress,
  });
}

export function getScan(id: string): Promise<Scan> {
  return api.get<Scan>(`/v1/scans/${encodeURIComponent(id)}`);
}

export function scanQuery(id: string): Query<Scan> {
  return query(`scans:${id}`, () => getScan(id));
}

/** The wait before poll number `attempt` (0-based): 500 ms growing by half, at most 5 s. */
export function pollDelay(attempt: number): number {
  return Math.min(5000, Math.round(500 * 1.5 ** attempt));
}

export interface PollOptions {
  signal?: AbortSignal;
  sleep?: (ms: number) => Promise<void>;
  /** Called with every answer (pending ones too). */
  onUpdate?: (scan: Scan) => void;
}

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Asks `get` until the scan is no longer pending; resolves with the last answer, or null when
 * aborted. A failed ask (network, 503) waits and asks again; a 404 ends the watch (it rejects).
 */
export async function pollScan(get: () => Promise<Scan>, { signal, sleep = wait, onUpdate }: PollOptions = {}): Promise<Scan | null> {
  for (let attempt = 0; ; attempt++) {
    if (signal?.aborted) return null;
    try {
      const scan = await get();
      if (signal?.aborted) return null;
      onUpdate?.(scan);
      if (scan.status !== 'pending') return scan;
    } catch (error) {
      const status = (error as { status?: number }).status ?? 0;
      if (status !== 0 && status !== 429 && status < 500) throw error;
    }
    await sleep(pollDelay(attempt));
  }
}

/** Watches a scan until it is read, keeping `scanQuery(id)` current; stop with the signal. */
export function watchScan(id: string, signal: AbortSignal): Promise<Scan | null> {
  const q = scanQuery(id);
  return pollScan(() => getScan(id), { signal, onUpdate: (scan) => q.set(scan) });
}

/** Accepts the scan into contacts; `changes` replace the proposal's fields. */
export async function acceptScan(scan: Pick<Scan, 'id' | 'profile_id'>, changes: ContactInput = {}): Promise<Contact> {
  const contact = await api.post<Contact>(`/v1/scans/${encodeURIComponent(scan.id)}/accept`, changes);
  invalidate(`contacts:${scan.profile_id}:`);
  const q = scanQuery(scan.id);
  q.update((old) => ({ ...old, contact_id: contact.id }));
  return contact;
}
