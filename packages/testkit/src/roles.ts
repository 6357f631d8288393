import pg from 'pg';

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * What scripts/services.sh does for the dev database (keep the two in step), for one test database: the owner role
 * owns it and its schema, the app role may read and write rows and use sequences, and default privileges extend
 * that to every table the owner's migrations create later. Run as the admin role, connected to that database.
 */
export async function grantAppRole(adminDatabaseUrl: string, roles: { owner: string; app: string }): Promise<void> {
  const owner = ident(roles.owner);
  const app = ident(roles.app);
  const client = new pg.Client({ connectionString: adminDatabaseUrl });
  await client.connect();
  try {
    await client.query(`
      ALTER SCHEMA public OWNER TO ${owner};
      REVOKE CREATE ON SCHEMA public FROM PUBLIC;
      GRANT USAGE ON SCHEMA public TO ${app};
      ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public
        GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${app};
      ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ${app};
    `);
  } finally {
    await client.end();
  }
}
