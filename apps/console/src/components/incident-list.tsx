import type { AreaRef, IncidentDetailDto, IncidentDto, TeamDto, UserDto } from '@ioc/contracts';
import { useTranslation } from 'react-i18next';
import type { Place } from '../geo/distance';
import { IncidentCard } from './incident-card';

interface IncidentListProps {
  /** In the order to show. */
  incidents: IncidentDto[];
  /** For the names of the areas that incidents group devices by. */
  areas: readonly AreaRef[];
  user: UserDto;
  teams: TeamDto[];
  onChanged: (incident: IncidentDetailDto) => void;
  onSelect: (deviceId: string) => void;
  /** Where each device is, for the distance from a report to a device's incident. */
  devicePlaces: Readonly<Record<string, Place>>;
}

/** The operations room's incidents: everything not yet closed, with the steps the user may take. */
export function IncidentList({ incidents, areas, user, teams, onChanged, onSelect, devicePlaces }: IncidentListProps) {
  const { t } = useTranslation();
  return (
    <section className="panel-section panel-section--incidents" aria-labelledby="incidents-title" data-testid="incident-panel">
      <h2 id="incidents-title" className="panel-section__title">
        {t('incidents.title')} <span className="count-badge">{incidents.length}</span>
      </h2>
      {incidents.length === 0 ? (
        <p className="panel-section__empty">{t('incidents.empty')}</p>
      ) : (
        <ol className="incident-list">
          {incidents.map((incident) => (
            <li key={incident.id}>
              <IncidentCard
                incident={incident}
                areas={areas}
                user={user}
                teams={teams}
                onChanged={onChanged}
                onSelect={onSelect}
                others={incidents}
                devicePlaces={devicePlaces}
              />
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
