import { randomBytes } from 'node:crypto';

/**
 * A name no other process uses at the same time (`prefix-<pid>-<random>`):
 * for what a test reads back from a shared server (an application_name, a
 * client name), which a second copy of the suite may use at the same moment.
 */
export const uniqueName = (prefix: string) => `${prefix}-${process.pid}-${randomBytes(3).toString('hex')}`;
