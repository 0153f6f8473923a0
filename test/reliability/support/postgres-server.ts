/*
 * The suite's own PostgreSQL cluster, which a test may restart (the machine's
 * shared server is never restarted): the harness's server, used as its superuser.
 */
import { startPostgresServer } from '@connmetrics/test-harness';

export interface OwnPostgresServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startOwnPostgresServer(): Promise<OwnPostgresServer> {
  const server = await startPostgresServer();
  return {
    host: server.host,
    port: server.port,
    user: server.superuser,
    database: server.database,
    restart: () => server.restart(),
    close: () => server.stop(),
  };
}
