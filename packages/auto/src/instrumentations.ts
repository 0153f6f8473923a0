/*
 * Every connmetrics instrumentation, by short name. Each package is loaded
 * only when its instrumentation is wanted, and a package that fails to load
 * or construct is reported once and left out: the others still work.
 */
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { EnvReader, listOf, type Environment } from './env';
import type { ConnectionInstrumentationName, ConnectionInstrumentationsConfig } from './types';
import { warnOnce } from './warnings';

export const ENV_ENABLED_INSTRUMENTATIONS = 'CONNMETRICS_ENABLED_INSTRUMENTATIONS';
export const ENV_DISABLED_INSTRUMENTATIONS = 'CONNMETRICS_DISABLED_INSTRUMENTATIONS';

type Factory = (config: any) => Instrumentation;

/* eslint-disable @typescript-eslint/no-require-imports */
const FACTORIES: Readonly<Record<ConnectionInstrumentationName, Factory>> = {
  undici: (config) => {
    const { UndiciConnectionInstrumentation } = require('@connmetrics/instrumentation-undici') as typeof import('@connmetrics/instrumentation-undici');
    return new UndiciConnectionInstrumentation(config);
  },
  http: (config) => {
    const { HttpConnectionInstrumentation } = require('@connmetrics/instrumentation-http') as typeof import('@connmetrics/instrumentation-http');
    return new HttpConnectionInstrumentation(config);
  },
  pg: (config) => {
    const { PgConnectionInstrumentation } = require('@connmetrics/instrumentation-pg') as typeof import('@connmetrics/instrumentation-pg');
    return new PgConnectionInstrumentation(config);
  },
  ioredis: (config) => {
    const { IORedisConnectionInstrumentation } = require('@connmetrics/instrumentation-ioredis') as typeof import('@connmetrics/instrumentation-ioredis');
    return new IORedisConnectionInstrumentation(config);
  },
  redis: (config) => {
    const { RedisConnectionInstrumentation } = require('@connmetrics/instrumentation-redis') as typeof import('@connmetrics/instrumentation-redis');
    return new RedisConnectionInstrumentation(config);
  },
  grpc: (config) => {
    const { GrpcConnectionInstrumentation } = require('@connmetrics/instrumentation-grpc') as typeof import('@connmetrics/instrumentation-grpc');
    return new GrpcConnectionInstrumentation(config);
  },
  mysql2: (config) => {
    const { MySQL2ConnectionInstrumentation } = require('@connmetrics/instrumentation-mysql2') as typeof import('@connmetrics/instrumentation-mysql2');
    return new MySQL2ConnectionInstrumentation(config);
  },
  postgres: (config) => {
    const { PostgresConnectionInstrumentation } = require('@connmetrics/instrumentation-postgres') as typeof import('@connmetrics/instrumentation-postgres');
    return new PostgresConnectionInstrumentation(config);
  },
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** The short names, in the order the instrumentations are returned. */
export const CONNECTION_INSTRUMENTATION_NAMES = Object.freeze(Object.keys(FACTORIES) as ConnectionInstrumentationName[]);

function isName(name: string): name is ConnectionInstrumentationName {
  return (CONNECTION_INSTRUMENTATION_NAMES as readonly string[]).includes(name);
}

/** Names from a CONNMETRICS_*_INSTRUMENTATIONS variable; unknown ones are reported and dropped. */
function namesFromEnv(reader: EnvReader, variable: string): Set<ConnectionInstrumentationName> | undefined {
  const names = reader.list(variable);
  if (names === undefined) return undefined;
  const unknown = names.filter((name) => !isName(name));
  if (unknown.length > 0) {
    reader.invalid(
      variable,
      `unknown instrumentation ${listOf(unknown.map((name) => `"${name}"`))} ignored (known: ${listOf(CONNECTION_INSTRUMENTATION_NAMES)}).`,
    );
  }
  return new Set(names.filter(isName));
}

/**
 * The short names of the instrumentations to create: all of them, or those in
 * CONNMETRICS_ENABLED_INSTRUMENTATIONS, minus those in
 * CONNMETRICS_DISABLED_INSTRUMENTATIONS and those configured `enabled: false`.
 */
export function selectInstrumentations(
  config: ConnectionInstrumentationsConfig = {},
  env: Environment = process.env,
): ConnectionInstrumentationName[] {
  const reader = new EnvReader(env);
  const enabled = namesFromEnv(reader, ENV_ENABLED_INSTRUMENTATIONS);
  const disabled = namesFromEnv(reader, ENV_DISABLED_INSTRUMENTATIONS);
  return CONNECTION_INSTRUMENTATION_NAMES.filter(
    (name) => (enabled?.has(name) ?? true) && !disabled?.has(name) && config[name]?.enabled !== false,
  );
}

/**
 * Every connmetrics instrumentation (undici and the global fetch, node:http
 * and https, pg, ioredis, gRPC, mysql2, postgres.js), each configured by its entry in `config`,
 * for `new NodeSDK({ instrumentations })` or `registerInstrumentations()`.
 * The environment variables CONNMETRICS_ENABLED_INSTRUMENTATIONS and
 * CONNMETRICS_DISABLED_INSTRUMENTATIONS (comma-separated short names) select
 * which are created.
 */
export function getConnectionInstrumentations(config: ConnectionInstrumentationsConfig = {}): Instrumentation[] {
  return createInstrumentations(config, process.env);
}

export function createInstrumentations(config: ConnectionInstrumentationsConfig, env: Environment): Instrumentation[] {
  const instrumentations: Instrumentation[] = [];
  for (const name of selectInstrumentations(config, env)) {
    try {
      instrumentations.push(FACTORIES[name]({ ...config[name] }));
    } catch (error) {
      warnOnce(`instrumentation:${name}`, `connmetrics: the ${name} instrumentation could not be created and is left out: ${describe(error)}`);
    }
  }
  return instrumentations;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
