import { SOCKET_PATH, type ClientToServerEvents, type ServerToClientEvents } from '@ioc/contracts';
import { useEffect, useRef, useState } from 'react';
import { io, type Socket } from 'socket.io-client';
import type { ConsoleAction } from '../state/console-state';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting';

/**
 * Keeps one socket.io connection to the server, turns its events into reducer actions and calls
 * `onConnect` after every (re)connection so the caller can refetch what it may have missed.
 */
export function useConsoleSocket(onAction: (action: ConsoleAction) => void, onConnect: () => void): ConnectionState {
  const [connection, setConnection] = useState<ConnectionState>('connecting');
  const handlers = useRef({ onAction, onConnect });
  handlers.current = { onAction, onConnect };

  useEffect(() => {
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({ path: SOCKET_PATH });
    const emit = (action: ConsoleAction) => handlers.current.onAction(action);

    socket.on('connect', () => {
      setConnection('connected');
      handlers.current.onConnect();
    });
    socket.on('disconnect', () => setConnection('reconnecting'));
    socket.io.on('reconnect_attempt', () => setConnection('reconnecting'));

    socket.on('telemetry:batch', (updates) => emit({ type: 'telemetry', updates }));
    socket.on('device:status', (update) => emit({ type: 'status', update }));
    socket.on('device:upserted', (device) => emit({ type: 'device-upserted', device }));
    socket.on('device:removed', ({ id }) => emit({ type: 'device-removed', id }));
    socket.on('alert:opened', (alert) => emit({ type: 'alert-opened', alert }));
    socket.on('alert:resolved', (alert) => emit({ type: 'alert-resolved', alert }));

    return () => {
      socket.disconnect();
    };
  }, []);

  return connection;
}
