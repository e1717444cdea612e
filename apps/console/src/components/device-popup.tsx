import type { DeviceDto } from '@ioc/contracts';
import { useTranslation } from 'react-i18next';
import { formatDateTime } from '../format/format';
import { useLanguage } from '../i18n/i18n';
import { reportedMetrics, type DisplayStatus } from '../state/device-display';
import { MetricReading } from './metric-reading';

interface DevicePopupProps {
  device: DeviceDto;
  status: DisplayStatus;
}

export function DevicePopup({ device, status }: DevicePopupProps) {
  const { t } = useTranslation();
  const language = useLanguage();
  const metrics = reportedMetrics(device);
  return (
    <div className="device-popup">
      <h3 className="device-popup__name">{device.name}</h3>
      <dl className="device-popup__facts">
        <dt>{t('popup.kind')}</dt>
        <dd>{t(`kind.${device.kind}`)}</dd>
        <dt>{t('popup.status')}</dt>
        <dd>
          <span className={`status-dot status-dot--${status}`} /> {t(`status.${status}`)}
        </dd>
        {device.areas.length > 0 && (
          <>
            <dt>{t('popup.areas')}</dt>
            <dd>{device.areas.map((area) => area.name).join(', ')}</dd>
          </>
        )}
        <dt>{t('popup.lastSeen')}</dt>
        <dd>{device.lastSeen ? formatDateTime(device.lastSeen) : t('popup.never')}</dd>
      </dl>
      {metrics.length > 0 && (
        <table className="device-popup__metrics">
          <tbody>
            {metrics.map((metric) => (
              <tr key={metric}>
                <th scope="row">{t(`metric.${metric}`, { defaultValue: metric })}</th>
                <td>
                  <MetricReading metric={metric} value={device.latest[metric].value} language={language} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
