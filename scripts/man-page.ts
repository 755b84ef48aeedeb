/** Writes man/mmproxy.1 from the flag tables (src/cli/man-page.ts): `npm run man`. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { buildInfo, packageRoot } from '../src/base/package-info.js';
import { manPage } from '../src/cli/man-page.js';

const path = join(packageRoot(), 'man', 'mmproxy.1');
writeFileSync(path, manPage(buildInfo().version));
console.log(`wrote ${path}`);
