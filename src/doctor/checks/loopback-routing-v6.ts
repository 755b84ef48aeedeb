/** Loopback policy routing for the IPv6 target (-6). */
import { diagnoseLoopback } from '../routing/loopback-diagnosis.js';
import type { Check } from '../types.js';

export const loopbackRoutingV6: Check = {
  id: 'loopback-routing-v6',
  title: 'IPv6 loopback routing',
  groups: ['routing'],
  reads: (setup) => ({
    target: setup.target6,
    protocol: setup.protocol,
    mark: setup.mark,
    dynamicDestination: setup.dynamicDestination,
  }),
  async run(ctx) {
    const target = ctx.setup.target6;
    if (!target) return { status: 'skip', summary: 'no IPv6 target (-6)', evidence: [] };
    return diagnoseLoopback(ctx, target);
  },
};
