import { useCallback, useEffect, useReducer, useState } from 'react';
import { api } from '../api/api-client';
import { consoleReducer, initialConsoleState, type ConsoleState } from '../state/console-state';
import { SnapshotGate } from '../state/snapshot-gate';
import { useConsoleSocket, type ConnectionState } from './use-console-socket';

export interface LiveState {
  state: ConsoleState;
  connection: ConnectionState;
  loadFailed: boolean;
}

/** Devices and open alerts kept live: a snapshot on start and after every reconnect, socket events in between. */
export function useLiveState(): LiveState {
  const [state, dispatch] = useReducer(consoleReducer, initialConsoleState);
  const [loadFailed, setLoadFailed] = useState(false);
  const [gate] = useState(() => new SnapshotGate(dispatch));

  const refresh = useCallback(async () => {
    const load = gate.begin();
    try {
      const [devices, alerts] = await Promise.all([api.devices(), api.openAlerts()]);
      if (gate.end(load, { devices, alerts })) setLoadFailed(false);
    } catch {
      if (gate.end(load, null)) setLoadFailed(true);
    }
  }, [gate]);

  const connection = useConsoleSocket(
    (action) => gate.event(action),
    () => void refresh(),
  );

  useEffect(() => {
    void refresh();
  }, [refresh]);

  return { state, connection, loadFailed };
}
