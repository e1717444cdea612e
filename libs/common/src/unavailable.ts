/**
 * SQLSTATEs of a database that cannot answer now: connection exceptions (class 08), shutting
 * down or starting up, out of connections, and a statement cancelled (statement_timeout).
 */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300|57014)$/;
/** The node-postgres client's own words when a connection or a query times out or drops. */
const UNAVAILABLE_PG =
  /^(Query read timeout|timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error)/;
const UNAVAILABLE_SOCKET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);

/** An error that says the database is down, stalled or overloaded, not that a request was wrong. */
export function isUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_SOCKET.has(code))) return true;
  return UNAVAILABLE_PG.test(err.message);
}
