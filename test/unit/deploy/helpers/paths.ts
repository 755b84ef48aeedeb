/** Where the deploy files live in the checkout. */
import { join } from 'node:path';

import { packageRoot } from '../../../../src/base/package-info.js';

export const DOCKERFILE_PATH = join(packageRoot(), 'deploy', 'container', 'Dockerfile');
