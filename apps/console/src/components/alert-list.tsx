import type { AlertDto, DeviceDto } from '@ioc/contracts';
import { useTranslation } from 'react-i18next';
import { formatDateTime } from '../format/format';
import { useLanguage } from '../i18n/i18n';

interface AlertListProps {
  /** Newest first. */
  alerts: AlertDto[];
  devices: Record<string, DeviceDto>;
  onSelect: (deviceId: string) => void;
}

export function AlertList({ alerts, devices, onSelect }: AlertListProps) {
  const { t } = useTranslation();
  const language = useLanguage();
  return (
    <section className="panel-section panel-section--alerts" aria-labelledby="alerts-title">
      <h2 id="alerts-title" className="panel-section__title">
        {t('alerts.title')} <span className="count-badge">{alerts.length}</span>
      </h2>
      {alerts.length === 0 ? (
        <p className="panel-section__empty">{t('alerts.empty')}</p>
      ) : (
        <ol className="alert-list">
          {alerts.map((alert) => (
            <li key={alert.id}>
              <button
                type="button"
                className={`alert-item alert-item--${alert.severity}`}
                data-testid={`alert-row-${alert.id}`}
                onClick={() => onSelect(alert.deviceId)}
              >
                <span className="alert-item__head">
                  <span className={`severity-chip severity-chip--${alert.severity}`}>{t(`severity.${alert.severity}`)}</span>
                  <time dateTime={alert.openedAt}>{formatDateTime(alert.openedAt)}</time>
                </span>
                <span className="alert-item__device">{devices[alert.deviceId]?.name ?? alert.deviceId}</span>
                <span className="alert-item__message">{alert.message[language]}</span>
                {alert.silenceId !== null ? (
                  <span className="alert-item__held" data-testid={`alert-held-${alert.id}`}>
                    {t('alerts.silenced')}
                  </span>
                ) : alert.inhibitedBy !== null ? (
                  <span className="alert-item__held" data-testid={`alert-held-${alert.id}`}>
                    {t('alerts.inhibited', { device: devices[alert.inhibitedBy]?.name ?? alert.inhibitedBy })}
                  </span>
                ) : null}
              </button>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
