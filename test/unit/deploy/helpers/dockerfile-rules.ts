/**
 * The rules the image's Dockerfile keeps (hadolint is in neither the Debian archive nor npm here, so these are
 * our own): each returns the violations it finds, as sentences, so a test shows all of them at once.
 */
import { type Dockerfile, expandArgs, type Instruction, type Stage } from './dockerfile.js';

/** Build tools that must never reach the final image. */
const COMPILERS = /(^|[\s'"])(gcc|g\+\+|clang|make|build-essential|python3?|libpcap-dev|node-gyp)(?=$|[\s'"=])/;
/** A tag that names a release (20.19.5-bookworm-slim), or a digest. */
const PINNED = /(:\d+\.\d+\.\d+[\w.-]*|@sha256:[0-9a-f]{64})$/;

function all(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword);
}

function pinnedBases(file: Dockerfile): string[] {
  const stageNames = new Set(file.stages.map((stage) => stage.name).filter(Boolean));
  return file.stages
    .map((stage) => expandArgs(stage.from, file.globalArgs))
    .filter((image) => !stageNames.has(image) && !PINNED.test(image))
    .map((image) => `FROM ${image}: pin the base image to a release tag or a digest`);
}

function buildStage(file: Dockerfile): string[] {
  const build = file.stages.slice(0, -1);
  if (build.length === 0) return ['one stage only: build in a stage of its own, install in the final one'];
  const steps = build.flatMap((stage) => stage.instructions.map((i) => `${i.keyword} ${i.args}`)).join('\n');
  const needed: [RegExp, string][] = [
    [/RUN .*npm ci\b/, 'npm ci'],
    [/NAPI_VERSION[= ]9\b/, 'NAPI_VERSION=9'],
    [/npm run build:native/, 'npm run build:native'],
    [/npm run build:ts/, 'npm run build:ts'],
    [/npm pack\b/, 'npm pack'],
  ];
  return needed.filter(([pattern]) => !pattern.test(steps)).map(([, what]) => `the build stage never runs ${what}`);
}

function finalStage(file: Dockerfile): string[] {
  const stage = file.stages[file.stages.length - 1];
  if (!stage) return ['no FROM'];
  const problems: string[] = [];
  if (!/^node:\$\{?NODE_VERSION\}?-\w+-slim$|^node:20[\w.-]*-slim(@sha256:\w+)?$/.test(stage.from))
    problems.push(`the final stage is FROM ${stage.from}: use a slim Node 20 image`);
  const user = all(stage, 'USER').at(-1)?.args;
  if (!user) problems.push('the final stage has no USER: it would run as root');
  else if (!/^[1-9]\d*(:[1-9]\d*)?$/.test(user))
    problems.push(`USER ${user}: use a numeric non-root uid (and gid), which runAsNonRoot can verify`);
  for (const run of all(stage, 'RUN')) {
    const found = COMPILERS.exec(run.args);
    if (found) problems.push(`line ${run.line}: the final stage installs or runs ${found[2]}: no build tools there`);
    if (/apt-get install/.test(run.args) && !/--no-install-recommends/.test(run.args))
      problems.push(`line ${run.line}: apt-get install without --no-install-recommends`);
    if (/apt-get install/.test(run.args) && !/rm -rf \/var\/lib\/apt\/lists/.test(run.args))
      problems.push(`line ${run.line}: apt lists left in the layer`);
  }
  for (const copy of [...all(stage, 'COPY'), ...all(stage, 'ADD')])
    if (!/--chown=/.test(copy.args)) problems.push(`line ${copy.line}: ${copy.keyword} without --chown`);
  const installs = all(stage, 'RUN').some((run) => /npm install -g\b.*\.tgz/.test(run.args));
  const copiesPack = all(stage, 'COPY').some((copy) => /--from=\S+.*\.tgz/.test(copy.args));
  if (!installs || !copiesPack)
    problems.push('the final stage must COPY the packed tarball from the build stage and `npm install -g` it');
  const health = all(stage, 'HEALTHCHECK').at(-1)?.args ?? '';
  if (!/CMD \[.*"doctor", "--from-running", "--json"\]|CMD \[.*\/metrics/.test(health))
    problems.push('no HEALTHCHECK in exec form on `mmproxy doctor --from-running --json` or /metrics');
  const entrypoint = all(stage, 'ENTRYPOINT').at(-1)?.args ?? '';
  if (!entrypoint.startsWith('['))
    problems.push('ENTRYPOINT missing or in shell form (signals would not reach mmproxy)');
  return problems;
}

function everyStage(file: Dockerfile): string[] {
  return file.stages.flatMap((stage) =>
    stage.instructions.flatMap((instruction) => {
      if (instruction.keyword === 'ADD' && /https?:\/\//.test(instruction.args))
        return [`line ${instruction.line}: ADD of a URL: download in a RUN with a checksum instead`];
      if (instruction.keyword === 'ADD') return [`line ${instruction.line}: ADD: use COPY`];
      if (instruction.keyword === 'RUN' && /\bsudo\b/.test(instruction.args))
        return [`line ${instruction.line}: sudo in a RUN`];
      return [];
    }),
  );
}

export function dockerfileViolations(file: Dockerfile): string[] {
  return [...pinnedBases(file), ...buildStage(file), ...finalStage(file), ...everyStage(file)];
}
