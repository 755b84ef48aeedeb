/**
 * The lines that say a config file's listener serves: where it listens and forwards (`listening`), and the
 * any_peer warning when every peer may send it headers. At start, and for each listener a reload starts.
 */
import { formatPortSpan } from '../base/net/port-span.js';
import type { NamedListener } from '../config/proxy-config.js';
import { anyPeerExposure, describeConfig, type WrittenSpans } from './config.js';
import { fastPathLine } from './dataplane.js';
import { subnetsSource } from './listener-config.js';
import type { ListenerSet } from './listener-set.js';
import type { Logger } from './log/logger.js';

function writtenSpans(listener: NamedListener): WrittenSpans {
  return {
    listen: formatPortSpan(listener.listen),
    target4: listener.target4 && formatPortSpan(listener.target4),
    target6: listener.target6 && formatPortSpan(listener.target6),
  };
}

export function logListening(listener: NamedListener, set: ListenerSet, logger: Logger, configFile: string): void {
  const config = set.firstConfig(listener.name);
  if (!config) return;
  const source = subnetsSource(listener, configFile);
  const fields = { listener: listener.name };
  const exposure = anyPeerExposure(config, source);
  if (exposure) logger.log('warn', 'any_peer', exposure, fields);
  logger.log('info', 'listening', describeConfig(config, source, writtenSpans(listener)), fields);
  const fastPath = fastPathLine(config);
  if (fastPath) logger.log(fastPath.level, 'fast_path', fastPath.message, fields);
}
