/** Loopback policy routing for the IPv4 target (-4). */
import { diagnoseLoopback } from '../routing/loopback-diagnosis.js';
import type { Check } from '../types.js';

export const loopbackRoutingV4: Check = {
  id: 'loopback-routing-v4',
  title: 'IPv4 loopback routing',
  groups: ['routing'],
  reads: (setup) => ({
    target: setup.target4,
    protocol: setup.protocol,
    mark: setup.mark,
    dynamicDestination: setup.dynamicDestination,
  }),
  async run(ctx) {
    const target = ctx.setup.target4;
    if (!target) return { status: 'skip', summary: 'no IPv4 target (-4)', evidence: [] };
    return diagnoseLoopback(ctx, target);
  },
};
