import { INCIDENT_ACTION_ROLES, type ConsoleConfigDto, type IncidentDetailDto, type TeamDto, type UserDto } from '@ioc/contracts';
import type { Marker as LeafletMarker } from 'leaflet';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api/api-client';
import { consoleAuth } from '../auth/console-auth';
import { useAreas } from '../hooks/use-areas';
import { useLiveState } from '../hooks/use-live-state';
import { useNow } from '../hooks/use-now';
import { alertingDeviceIds, sortedOpenAlerts } from '../state/console-state';
import { sortedIncidents } from '../state/incident-state';
import type { Selection } from '../state/selection';
import { AlertList } from './alert-list';
import { DeviceList } from './device-list';
import { HeaderBar } from './header-bar';
import { IncidentList } from './incident-list';
import { OperationsMap } from './operations-map';

/** How often "data late" is re-evaluated. */
const CLOCK_TICK_MS = 15_000;

type ConfigState = { status: 'loading' } | { status: 'ready'; config: ConsoleConfigDto | null };

/** The console of a signed-in operator: map, incidents, alerts and devices, kept live. */
export function ConsoleScreen({ user }: { user: UserDto }) {
  const { t } = useTranslation();
  const { state, connection, loadFailed, dispatch } = useLiveState('operations');
  const [teams, setTeams] = useState<TeamDto[]>([]);
  const now = useNow(CLOCK_TICK_MS);
  const [config, setConfig] = useState<ConfigState>({ status: 'loading' });
  const areas = useAreas();
  const [selection, setSelection] = useState<Selection | null>(null);
  const markers = useRef(new Map<string, LeafletMarker>());

  useEffect(() => {
    api.consoleConfig().then(
      (loaded) => setConfig({ status: 'ready', config: loaded }),
      () => setConfig({ status: 'ready', config: null }),
    );
  }, []);

  const mayDispatch = INCIDENT_ACTION_ROLES.dispatch.includes(user.role);
  useEffect(() => {
    // Without teams there is nobody to dispatch to: the dispatch button stays hidden.
    if (mayDispatch) api.teams().then(setTeams, () => undefined);
  }, [mayDispatch]);

  const devices = useMemo(() => Object.values(state.devices), [state.devices]);
  const devicePlaces = useMemo(() => Object.fromEntries(devices.map((d) => [d.id, { lat: d.lat, lng: d.lng }])), [devices]);
  const alerts = useMemo(() => sortedOpenAlerts(state.openAlerts), [state.openAlerts]);
  const alertingIds = useMemo(() => alertingDeviceIds(state.openAlerts), [state.openAlerts]);
  const incidents = useMemo(() => sortedIncidents(state.incidents), [state.incidents]);
  const onIncidentChanged = useCallback((incident: IncidentDetailDto) => dispatch({ type: 'incident-changed', incident }), [dispatch]);

  const onMarker = useCallback((deviceId: string, marker: LeafletMarker | null) => {
    if (marker) markers.current.set(deviceId, marker);
    else markers.current.delete(deviceId);
  }, []);
  const onSelect = useCallback((deviceId: string) => {
    setSelection((previous) => ({ deviceId, seq: (previous?.seq ?? 0) + 1 }));
  }, []);
  const onLogout = useCallback(() => void consoleAuth.logout(), []);

  return (
    <div className="app">
      <HeaderBar connection={connection} user={user} onLogout={onLogout} />
      {loadFailed && (
        <p className="app__error" role="alert">
          {t('app.loadError')}
        </p>
      )}
      <main className="app__main">
        {config.status === 'ready' && (
          <OperationsMap
            config={config.config}
            areas={areas}
            devices={devices}
            alertingIds={alertingIds}
            now={now}
            selection={selection}
            markers={markers}
            onMarker={onMarker}
          />
        )}
        <aside className="side-panel">
          <IncidentList
            incidents={incidents}
            areas={areas}
            user={user}
            teams={teams}
            onChanged={onIncidentChanged}
            onSelect={onSelect}
            devicePlaces={devicePlaces}
          />
          <AlertList alerts={alerts} devices={state.devices} onSelect={onSelect} />
          <DeviceList devices={devices} alertingIds={alertingIds} now={now} onSelect={onSelect} />
        </aside>
      </main>
    </div>
  );
}
