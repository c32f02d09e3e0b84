/** Sharing a card: link, QR, vCard. Owner: the share helper. */
import { api, type ShareLink } from '../api';

/** Makes (or returns the active) share link of my card. */
export function createShareLink(cardId: string): Promise<ShareLink> {
  return api.post<ShareLink>(`/v1/cards/${encodeURIComponent(cardId)}/share`);
}

/** Stops every link of the card. */
export async function revokeShareLinks(cardId: string): Promise<void> {
  await api.delete(`/v1/cards/${encodeURIComponent(cardId)}/share`);
}

/** The QR image of the card's active share link (an object URL: revoke it when done). */
export async function cardQrObjectUrl(cardId: string, format: 'png' | 'svg' = 'svg'): Promise<string> {
  const blob = await api.request<Blob>(`/v1/cards/${encodeURIComponent(cardId)}/qr`, { query: { format }, as: 'blob' });
  return URL.createObjectURL(blob);
}

/** The card's vCard as a Blob (to download or share as a file). */
export function cardVcard(cardId: string): Promise<Blob> {
  return api.request<Blob>(`/v1/cards/${encodeURIComponent(cardId)}/vcard`, { as: 'blob' });
}

/** The share token of a `/c/{token}` link (full URL or path), or null. */
export function shareTokenFromLink(link: string): string | null {
  const match = /\/c\/([A-Za-z0-9_-]+)(?:\.vcf)?\/?(?:[?#].*)?$/.exec(link.trim());
  return match?.[1] ?? null;
}
