// The integration-test harness itself: the throwaway PostgreSQL cluster (support/postgres.ts).
import { existsSync } from 'node:fs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startPostgres } from '../support/postgres';

describe('throwaway PostgreSQL cluster', () => {
  it('creates two databases that answer queries, and leaves nothing behind once stopped', async () => {
    const cluster = await startPostgres();
    try {
      for (const name of ['alpha', 'beta']) {
        const client = new pg.Client({ connectionString: await cluster.createDatabase(name) });
        await client.connect();
        try {
          await client.query('create table t (v text)');
          await client.query('insert into t values ($1)', [name]);
          const { rows } = await client.query('select current_database() as db, (select v from t) as v, current_setting($1) as fsync', ['fsync']);
          expect(rows).toEqual([{ db: name, v: name, fsync: 'on' }]);
        } finally {
          await client.end();
        }
      }
      expect(cluster.port).not.toBe(5432);
    } finally {
      await cluster.stop();
    }
    expect(existsSync(cluster.dir)).toBe(false);
    await cluster.stop();
    await expect(new pg.Client({ connectionString: cluster.url(), connectionTimeoutMillis: 2000 }).connect()).rejects.toThrow();
  });

  it('says which package is missing when PostgreSQL is not installed', async () => {
    await expect(startPostgres({ libDir: '/nonexistent/postgresql' })).rejects.toThrow(/package "postgresql" is missing.*npm test/);
  });
});
