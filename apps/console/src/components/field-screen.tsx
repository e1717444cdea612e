import type { IncidentDetailDto, UserDto } from '@ioc/contracts';
import { useCallback, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { consoleAuth } from '../auth/console-auth';
import { useAreas } from '../hooks/use-areas';
import { useLiveState } from '../hooks/use-live-state';
import { sortedIncidents } from '../state/incident-state';
import { ConnectionIndicator } from './connection-indicator';
import { IncidentCard } from './incident-card';
import { LanguageSwitch } from './language-switch';

const NO_TEAMS: never[] = [];

/** `/field`: a field team's incidents on a phone, to acknowledge on site, photograph and resolve. */
export function FieldScreen({ user }: { user: UserDto }) {
  const { t } = useTranslation();
  const { state, connection, loadFailed, dispatch } = useLiveState('field');
  const areas = useAreas();
  const incidents = useMemo(() => sortedIncidents(state.incidents), [state.incidents]);
  const onChanged = useCallback((incident: IncidentDetailDto) => dispatch({ type: 'incident-changed', incident }), [dispatch]);

  return (
    <div className="field-app">
      <header className="field-header">
        <div className="field-header__row">
          <h1 className="field-header__title">{t('incidents.fieldTitle')}</h1>
          <LanguageSwitch />
        </div>
        <div className="field-header__row">
          <span className="current-user" data-testid="current-user">
            <span className="current-user__name" data-testid="current-user-name">
              {user.displayName}
            </span>
          </span>
          <ConnectionIndicator state={connection} />
          <button type="button" className="header-bar__logout" data-testid="logout" onClick={() => void consoleAuth.logout()}>
            {t('login.logout')}
          </button>
        </div>
      </header>
      {loadFailed && (
        <p className="app__error" role="alert">
          {t('app.loadError')}
        </p>
      )}
      <main className="field-list" data-testid="field-incidents">
        {incidents.length === 0 ? (
          <p className="panel-section__empty">{t('incidents.fieldEmpty')}</p>
        ) : (
          incidents.map((incident) => (
            <IncidentCard key={incident.id} incident={incident} areas={areas} user={user} teams={NO_TEAMS} onChanged={onChanged} capturePhotos />
          ))
        )}
      </main>
    </div>
  );
}
