import { SOCKET_PATH, type ClientToServerEvents, type ServerToClientEvents, type SocketAuth } from '@ioc/contracts';
import { useEffect, useRef, useState } from 'react';
import { io, type Socket } from 'socket.io-client';
import { SignedOutError } from '../auth/auth-session';
import { consoleAuth } from '../auth/console-auth';
import { backoffMs } from '../auth/token-timing';
import type { ConsoleAction } from '../state/console-state';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting';

/** The `connect_error` message of a handshake without a valid token. */
const UNAUTHORIZED = 'unauthorized';

/**
 * Keeps one socket.io connection to the server, turns its events into reducer actions and calls
 * `onConnect` after every (re)connection so the caller can refetch what it may have missed.
 */
export function useConsoleSocket(onAction: (action: ConsoleAction) => void, onConnect: () => void): ConnectionState {
  const [connection, setConnection] = useState<ConnectionState>('connecting');
  const handlers = useRef({ onAction, onConnect });
  handlers.current = { onAction, onConnect };

  useEffect(() => {
    let active = true;
    let sentToken = '';
    let sessionEnded = false;
    let attempts = 0;
    let retry: ReturnType<typeof setTimeout> | undefined;

    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({
      path: SOCKET_PATH,
      // A function rather than an object: every (re)connection sends the token current at that moment.
      auth: (send) => {
        void consoleAuth.accessToken().then(
          (token) => {
            sentToken = token;
            if (active) send({ token } satisfies SocketAuth);
          },
          // Refused by the server, which leads to a renewal below (or nowhere once signed out).
          () => {
            if (active) send({ token: '' } satisfies SocketAuth);
          },
        );
      },
    });
    const emit = (action: ConsoleAction) => handlers.current.onAction(action);

    // The client does not reconnect by itself after a refused handshake or a disconnect by the server.
    const reconnect = (renew: boolean) => {
      clearTimeout(retry);
      retry = setTimeout(() => {
        const ready = renew ? consoleAuth.renew(sentToken) : Promise.resolve('');
        ready.then(
          () => {
            if (active) socket.connect();
          },
          (error: unknown) => {
            if (active && !(error instanceof SignedOutError)) reconnect(renew);
          },
        );
      }, backoffMs(attempts++));
    };

    socket.on('connect', () => {
      attempts = 0;
      setConnection('connected');
      handlers.current.onConnect();
    });
    socket.on('connect_error', (error) => {
      if (error.message === UNAUTHORIZED) reconnect(true);
    });
    socket.on('session:ended', () => {
      sessionEnded = true;
    });
    socket.on('disconnect', (reason) => {
      setConnection('reconnecting');
      if (reason === 'io server disconnect') {
        reconnect(sessionEnded);
        sessionEnded = false;
      }
    });
    socket.io.on('reconnect_attempt', () => setConnection('reconnecting'));

    socket.on('telemetry:batch', (updates) => emit({ type: 'telemetry', updates }));
    socket.on('device:status', (update) => emit({ type: 'status', update }));
    socket.on('device:upserted', (device) => emit({ type: 'device-upserted', device }));
    socket.on('device:removed', ({ id }) => emit({ type: 'device-removed', id }));
    socket.on('alert:opened', (alert) => emit({ type: 'alert-opened', alert }));
    socket.on('alert:resolved', (alert) => emit({ type: 'alert-resolved', alert }));
    socket.on('incident:opened', ({ incident }) => emit({ type: 'incident-changed', incident }));
    socket.on('incident:updated', ({ incident }) => emit({ type: 'incident-changed', incident }));
    socket.on('incident:withdrawn', ({ id }) => emit({ type: 'incident-withdrawn', id }));

    return () => {
      active = false;
      clearTimeout(retry);
      socket.disconnect();
    };
  }, []);

  return connection;
}
