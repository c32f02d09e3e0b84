/**
 * Reports of a message, a profile or a card (docs/api.md, "Reports and the moderation
 * queue"), and my reports with their outcomes. Online only: a report is sent now or not at all.
 */
import { api } from '../api';
import { allPages } from './pages';
import { invalidate, query, type Query } from './query';

export type ReportReason = 'spam' | 'harassment' | 'impersonation' | 'other';
export const REPORT_REASONS: readonly ReportReason[] = ['spam', 'harassment', 'impersonation', 'other'];
export type ReportStatus = 'open' | 'dismissed' | 'message_removed' | 'card_hidden' | 'account_locked';

export type ReportTarget =
  | { kind: 'message'; chat_id: string; index: number }
  | { kind: 'profile'; profile_id: string }
  | { kind: 'card'; card_id: string };

export interface Report {
  id: string;
  kind: ReportTarget['kind'];
  reason: ReportReason;
  text: string | null;
  chat_id: string | null;
  index: number | null;
  profile_id: string;
  card_id: string | null;
  message_body: string | null;
  status: ReportStatus;
  created_at: string;
  resolved_at: string | null;
}

/** Reports `target` as my profile `me`. */
export async function sendReport(me: string, target: ReportTarget, reason: ReportReason, text: string): Promise<Report> {
  const report = await api.post<Report>(`/v1/profiles/${encodeURIComponent(me)}/reports`, { ...target, reason, text: text.trim() || null });
  invalidate('reports:');
  return report;
}

/** My reports, newest first. */
export function myReportsQuery(): Query<Report[]> {
  return query('reports:mine', async () => (await allPages<Report>('/v1/reports')).reverse());
}
