/**
 * What a listener may be called and how many one process may have: the config file enforces both
 * (src/config/config-file.ts), and readers of a stats snapshot refuse a snapshot that breaks them.
 */

/** Safe as a metric label, a log field and a file name; bounded so labels stay short. */
export const LISTENER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
/** Each listener costs sockets and counters per worker; a config is written by hand. */
export const MAX_LISTENERS = 1000;
