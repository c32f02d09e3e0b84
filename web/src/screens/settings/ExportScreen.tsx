import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { errorMessage } from '../../app/errors';
import { useQuery } from '../../data/query';
import { downloadExport, exportsQuery, requestExport, type DataExport } from '../../data/settings';
import { formatDate, t } from '../../i18n';
import { Button, EmptyState, ErrorBox, List, ListRow, Loading, Screen, toast } from '../../ui';
import { saveBlob } from '../share/download';
import './settings.css';

function statusOf(item: DataExport): string {
  if (item.status === 'ready' && item.expires_at) return t('settings.exportReady', { when: formatDate(item.expires_at) });
  return item.status === 'failed' ? t('settings.exportFailed') : t('settings.exportPending');
}

/** Export my data: ask for a copy of everything of mine, then download it (7 days). */
export default function ExportScreen(): JSX.Element {
  const exports = useQuery(exportsQuery());
  const [asking, setAsking] = useState(false);
  const [fetching, setFetching] = useState<string | null>(null);
  const list = exports.data.value;

  async function ask(): Promise<void> {
    setAsking(true);
    try {
      await requestExport();
      toast(t('settings.exportAsked'), 'success');
    } catch (error) {
      toast(errorMessage(error, 'settings'), 'error');
    } finally {
      setAsking(false);
    }
  }

  async function download(item: DataExport): Promise<void> {
    setFetching(item.id);
    try {
      saveBlob(await downloadExport(item), `bca-export-${item.created_at.slice(0, 10)}.zip`);
    } catch (error) {
      toast(errorMessage(error, 'settings'), 'error');
    } finally {
      setFetching(null);
    }
  }

  return (
    <Screen title={t('settings.exportTitle')} back="/app/me">
      <p class="settings-lead">{t('settings.exportLead')}</p>
      <div class="stack">
        <Button block busy={asking} onClick={() => void ask()}>{t('settings.exportAsk')}</Button>
        <Button block variant="secondary" onClick={() => void exports.reload()}>{t('settings.exportRefresh')}</Button>
      </div>
      <div class="settings-section">
        {list === undefined && exports.error.value ? (
          <ErrorBox message={errorMessage(exports.error.value)} onRetry={() => void exports.reload()} retryLabel={t('common.retry')} />
        ) : list === undefined ? (
          <Loading label={t('common.loading')} rows={1} />
        ) : list.length === 0 ? (
          <EmptyState title={t('settings.exportNone')} />
        ) : (
          <List heading={t('settings.exportList')}>
            {list.map((item) => (
              <ListRow
                key={item.id}
                title={formatDate(item.created_at)}
                subtitle={statusOf(item)}
                trailing={
                  item.status === 'ready' ? (
                    <Button
                      variant="ghost"
                      busy={fetching === item.id}
                      aria-label={t('settings.exportDownloadOf', { when: formatDate(item.created_at) })}
                      onClick={() => void download(item)}
                    >
                      {t('settings.exportDownload')}
                    </Button>
                  ) : undefined
                }
              />
            ))}
          </List>
        )}
      </div>
    </Screen>
  );
}
