/** Paper-card scans: upload a photo, poll until read, accept into contacts. Owner: the scans helper. */
import { api, type Contact, type ContactInput, type Scan } from '../api';
import { invalidate } from './query';

export async function startScan(profileId: string, photo: Blob, region = 'KR', onProgress?: (fraction: number) => void): Promise<Scan> {
  return api.upload<Scan>(`/v1/profiles/${encodeURIComponent(profileId)}/scans`, photo, {
    method: 'POST',
    query: { region },
    idempotencyKey: true,
    onProgress,
  });
}

export function getScan(id: string): Promise<Scan> {
  return api.get<Scan>(`/v1/scans/${encodeURIComponent(id)}`);
}

/** Accepts the scan into contacts; `changes` replace the proposal's fields. */
export async function acceptScan(scan: Pick<Scan, 'id' | 'profile_id'>, changes: ContactInput = {}): Promise<Contact> {
  const contact = await api.post<Contact>(`/v1/scans/${encodeURIComponent(scan.id)}/accept`, changes);
  invalidate(`contacts:${scan.profile_id}:`);
  return contact;
}
