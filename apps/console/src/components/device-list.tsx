import type { DeviceDto } from '@ioc/contracts';
import { memo, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Language } from '../format/format';
import { useLanguage } from '../i18n/i18n';
import { displayStatus, primaryMetric, type DisplayStatus } from '../state/device-display';
import { MetricReading } from './metric-reading';

interface DeviceListProps {
  devices: DeviceDto[];
  alertingIds: Set<string>;
  now: number;
  onSelect: (deviceId: string) => void;
}

/** Devices that need a look come first. */
const STATUS_ORDER: Record<DisplayStatus, number> = { alerting: 0, offline: 1, stale: 2, unknown: 3, online: 4 };

export function DeviceList({ devices, alertingIds, now, onSelect }: DeviceListProps) {
  const { t } = useTranslation();
  const language = useLanguage();
  const [query, setQuery] = useState('');

  const rows = useMemo(() => {
    const needle = query.trim().toLocaleLowerCase(language);
    return devices
      .filter((d) => needle === '' || d.name.toLocaleLowerCase(language).includes(needle) || d.id.includes(needle))
      .map((device) => ({ device, status: displayStatus(device, alertingIds.has(device.id), now) }))
      .sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || a.device.name.localeCompare(b.device.name, language));
  }, [devices, alertingIds, now, query, language]);

  return (
    <section className="panel-section panel-section--devices" aria-labelledby="devices-title">
      <h2 id="devices-title" className="panel-section__title">
        {t('devices.title')} <span className="count-badge">{devices.length}</span>
      </h2>
      <input
        className="device-filter"
        type="search"
        placeholder={t('devices.filter')}
        aria-label={t('devices.filter')}
        value={query}
        onChange={(e) => setQuery(e.target.value)}
      />
      {rows.length === 0 ? (
        <p className="panel-section__empty">{t('devices.empty')}</p>
      ) : (
        <ul className="device-list">
          {rows.map(({ device, status }) => (
            <DeviceRow key={device.id} device={device} status={status} language={language} onSelect={onSelect} />
          ))}
        </ul>
      )}
    </section>
  );
}

interface DeviceRowProps {
  device: DeviceDto;
  status: DisplayStatus;
  language: Language;
  onSelect: (deviceId: string) => void;
}

const DeviceRow = memo(function DeviceRow({ device, status, language, onSelect }: DeviceRowProps) {
  const { t } = useTranslation();
  const metric = primaryMetric(device);
  return (
    <li>
      <button type="button" className="device-row" data-testid={`device-row-${device.id}`} onClick={() => onSelect(device.id)}>
        <span className={`status-dot status-dot--${status}`} title={t(`status.${status}`)} />
        <span className="device-row__name">
          {device.name}
          <span className="device-row__kind">{t(`kind.${device.kind}`)}</span>
        </span>
        <span className="device-row__value">
          {metric === null ? (
            <span className="device-row__none">{t(`status.${status}`)}</span>
          ) : (
            <MetricReading
              metric={metric}
              value={device.latest[metric].value}
              language={language}
              testId={`device-value-${device.id}-${metric}`}
            />
          )}
        </span>
      </button>
    </li>
  );
});
