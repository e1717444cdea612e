import { useTranslation } from 'react-i18next';
import { DISPLAY_STATUSES } from '../state/device-display';

export function MapLegend() {
  const { t } = useTranslation();
  return (
    <ul className="map-legend" aria-label={t('map.legend')}>
      {DISPLAY_STATUSES.map((status) => (
        <li key={status}>
          <span className={`status-dot status-dot--${status}`} /> {t(`status.${status}`)}
        </li>
      ))}
    </ul>
  );
}
