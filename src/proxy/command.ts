/**
 * The proxy command's implementation, loaded lazily by
 * src/cli/commands/proxy.ts: checks flags and the subnet file (mistakes are
 * UsageErrors, exit 2), then runs the proxy until a signal stops it.
 */
import { UsageError } from '../base/errors.js';
import { native } from '../native/addon.js';
import { createDataPlane } from './dataplane.js';
import {
  flagsWithoutEffect,
  givenProxyFlags,
  type RawProxyCommandFlags,
  type RawProxyFlags,
} from '../config/proxy-flags.js';
import { parseProxyOptions } from '../config/proxy-options.js';
import { missingPrivilege } from './privilege.js';
import { EXIT_START_FAILED, runProxy } from './run.js';
import { loadSubnetFile, SubnetFileError, subnetFileRefusal, type SubnetList } from '../config/allowed-subnets.js';
import { udpTargetWarnings } from './udp-target.js';
import { createProcessLog, createProcessService } from './process-runtime.js';
import { proxySignalSource, releaseEarlySignals } from './early-signals.js';

async function loadSubnetsForStart(path: string): Promise<SubnetList> {
  try {
    return await loadSubnetFile(path);
  } catch (error) {
    if (error instanceof SubnetFileError) throw new UsageError(subnetFileRefusal(error));
    throw error;
  }
}

export async function runProxyCommand(raw: RawProxyCommandFlags): Promise<number> {
  try {
    const { config, ...flags } = raw;
    if (config === undefined) return await parseAndRun(flags);
    // A config file's path (TOML parser, reload plans) is imported only when one is given.
    const { runConfigCommand } = await import('./config-command.js');
    return await runConfigCommand(config, flags);
  } finally {
    releaseEarlySignals();
  }
}

async function parseAndRun(raw: RawProxyFlags): Promise<number> {
  const options = parseProxyOptions(raw);
  const subnets = options.allowedSubnetsFile ? await loadSubnetsForStart(options.allowedSubnetsFile) : null;

  const { logger, eventLog } = createProcessLog(options);
  const denied = missingPrivilege((probe) => native().probeSocketOption(probe), options.mark);
  if (denied) {
    logger.log('error', 'start_failed', denied);
    return EXIT_START_FAILED;
  }
  for (const line of flagsWithoutEffect(givenProxyFlags(raw), options.protocol)) {
    logger.log('warn', 'flag_ignored', line);
  }
  if (options.protocol === 'udp' && !options.dynamicDestination) {
    const targets = [options.target4, options.target6].filter((target) => target !== null);
    for (const warning of await udpTargetWarnings(targets)) {
      logger.log('warn', 'udp_target', warning);
    }
  }
  return runProxy(options, subnets, {
    createDataPlane,
    logger,
    eventLog,
    // Held since bin/mmproxy.js started: a signal sent while starting is delivered once the proxy listens.
    signals: proxySignalSource(),
    uncaught: process,
    loadSubnets: loadSubnetFile,
    service: createProcessService(logger),
  });
}
