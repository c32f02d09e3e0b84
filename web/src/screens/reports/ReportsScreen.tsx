import type { JSX } from 'preact';
import { errorMessage } from '../../app/errors';
import { useQuery } from '../../data/query';
import { myReportsQuery, type Report, type ReportStatus } from '../../data/reports';
import { formatRelative, t, type MessageKey } from '../../i18n';
import { EmptyState, ErrorBox, List, ListRow, Loading, Screen } from '../../ui';

const STATUS_KEYS: Record<ReportStatus, MessageKey> = {
  open: 'reports.statusOpen',
  dismissed: 'reports.statusDismissed',
  message_removed: 'reports.statusMessageRemoved',
  card_hidden: 'reports.statusCardHidden',
  account_locked: 'reports.statusAccountLocked',
};
const KIND_KEYS: Record<Report['kind'], MessageKey> = {
  message: 'reports.kindMessage',
  profile: 'reports.kindProfile',
  card: 'reports.kindCard',
};

/** My reports, newest first, each with what the moderators did. */
export default function ReportsScreen(): JSX.Element {
  const reports = useQuery(myReportsQuery());
  const list = reports.data.value;
  return (
    <Screen title={t('reports.mine')} back="/app/me">
      {reports.error.value ? <ErrorBox message={errorMessage(reports.error.value, 'reports')} onRetry={() => void reports.reload()} retryLabel={t('common.retry')} /> : null}
      {list === undefined && !reports.error.value ? <Loading label={t('common.loading')} /> : null}
      {list && list.length === 0 ? <EmptyState title={t('reports.none')} body={t('reports.noneBody')} /> : null}
      {list && list.length ? (
        <List>
          {list.map((report) => (
            <ListRow
              key={report.id}
              title={`${t(KIND_KEYS[report.kind])} · ${t(STATUS_KEYS[report.status])}`}
              subtitle={[report.message_body, formatRelative(report.resolved_at ?? report.created_at)].filter(Boolean).join(' · ')}
            />
          ))}
        </List>
      ) : null}
    </Screen>
  );
}
