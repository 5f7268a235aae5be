// Test helper: a fresh PostgreSQL database for one test file, on the server PNODE_TEST_POSTGRES_URL
// names (`.ci/run` starts one: scripts/postgres-test-cluster.sh). Without the variable, or with
// the server down, the tests that need it skip and say why.
import pg from 'pg';
import { randomBytes } from 'node:crypto';

export const POSTGRES_URL_VARIABLE = 'PNODE_TEST_POSTGRES_URL';

export interface TestDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

/** Why PostgreSQL tests cannot run here, or null when they can. */
export async function postgresUnavailable(): Promise<string | null> {
  const url = process.env[POSTGRES_URL_VARIABLE];
  if (!url) return `${POSTGRES_URL_VARIABLE} is not set (.ci/run starts a server: scripts/postgres-test-cluster.sh start DIR PORT)`;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return `the PostgreSQL server at ${url} does not answer: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Makes a new database on the test server; drop() removes it. */
export async function freshDatabase(): Promise<TestDatabase> {
  const base = process.env[POSTGRES_URL_VARIABLE]!;
  const name = `pnode_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
