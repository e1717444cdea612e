import type { PoolClient } from 'pg';

/** Runs `work` in a transaction on a client already checked out: committed if it resolves, rolled back if it throws. */
export async function inTransaction<T>(client: PoolClient, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    // The original error is the one worth reporting; a failed ROLLBACK means the connection is gone anyway.
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
