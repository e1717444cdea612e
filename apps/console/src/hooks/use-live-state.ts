import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { api } from '../api/api-client';
import { consoleReducer, initialConsoleState, type ConsoleAction, type ConsoleState } from '../state/console-state';
import { catchUpFrom } from '../state/incident-state';
import { SnapshotGate } from '../state/snapshot-gate';
import { useConsoleSocket, type ConnectionState } from './use-console-socket';

/** The operations room sees devices and alerts; a field team's phone only its incidents (the server refuses it alerts). */
export type LiveScope = 'operations' | 'field';

export interface LiveState {
  state: ConsoleState;
  connection: ConnectionState;
  loadFailed: boolean;
  /** For changes the console made itself, so they show before the socket echoes them. */
  dispatch: (action: ConsoleAction) => void;
}

/**
 * Devices, open alerts and incidents kept live: a snapshot on start and after every reconnect
 * (incidents: what changed while away), socket events in between.
 */
export function useLiveState(scope: LiveScope): LiveState {
  const [state, dispatch] = useReducer(consoleReducer, initialConsoleState);
  const [loadFailed, setLoadFailed] = useState(false);
  const [gate] = useState(() => new SnapshotGate(dispatch));
  const incidents = useRef(state.incidents);
  incidents.current = state.incidents;

  const refresh = useCallback(async () => {
    const load = gate.begin();
    try {
      const [devices, alerts, changed] = await Promise.all([
        scope === 'operations' ? api.devices() : Promise.resolve([]),
        scope === 'operations' ? api.openAlerts() : Promise.resolve([]),
        api.incidents(catchUpFrom(incidents.current)),
      ]);
      if (gate.end(load, { devices, alerts })) {
        // Incidents merge by updatedAt, so events applied meanwhile are never rolled back.
        dispatch({ type: 'incidents-loaded', incidents: changed });
        setLoadFailed(false);
      }
    } catch {
      if (gate.end(load, null)) setLoadFailed(true);
    }
  }, [gate, scope]);

  const connection = useConsoleSocket(
    (action) => gate.event(action),
    () => void refresh(),
  );

  useEffect(() => {
    void refresh();
  }, [refresh]);

  return { state, connection, loadFailed, dispatch };
}
