import type { Pool } from 'pg';

/** Relations a plan reads, from EXPLAIN (FORMAT JSON). */
export async function relationsRead(pool: Pool, sql: string, params: unknown[]): Promise<string[]> {
  const { rows } = await pool.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${sql}`, params);
  const names = new Set<string>();
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === 'Relation Name' && typeof v === 'string') names.add(v);
        else walk(v);
      }
    }
  };
  walk(rows[0]['QUERY PLAN']);
  return [...names].sort();
}
