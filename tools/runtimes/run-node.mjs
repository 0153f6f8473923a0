// Runs a script on a pinned Node.js: `node run-node.mjs [node flags] script [args]`.
// CONNMETRICS_NODE picks the major version (default: the newest supported).
import { spawnSync } from 'node:child_process';
import { SUPPORTED_NODE_MAJORS, envFor, nodeBinary } from './runtimes.mjs';

const major = process.env.CONNMETRICS_NODE ?? SUPPORTED_NODE_MAJORS.at(-1);
const result = spawnSync(nodeBinary(major), process.argv.slice(2), { stdio: 'inherit', env: envFor(major) });
process.exit(result.status ?? 1);
