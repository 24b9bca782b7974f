// What `npm test` needs from the operating system, and what to do when some of it is missing. Pure: the
// runner (`ensure-system.mjs`) probes the machine and runs the plan. Plain JavaScript so the check costs a
// bare `node` start before the type check (no TypeScript loader).

/**
 * One line per Debian package the tests need. `probe.file`: an executable at that path (`probe.env` may name
 * a variable overriding it), or with `probe.under`, at that path inside any folder of that directory;
 * `probe.commands`: any of these names on PATH.
 * @param {Record<string, string | undefined>} env
 */
export function systemRequirements(env) {
  return [
    { pkg: 'chromium', neededBy: 'browser tests', probe: { file: env.CHROMIUM_PATH ?? '/usr/bin/chromium' } },
    { pkg: 'python3', neededBy: "htmx's upgrade-check", probe: { commands: ['python3', 'python'] } },
    // Debian keeps each server version apart: /usr/lib/postgresql/15/bin/postgres.
    { pkg: 'postgresql', neededBy: 'team-scale tests', probe: { under: '/usr/lib/postgresql', file: 'bin/postgres' } },
    { pkg: 'redis-server', neededBy: 'team-scale tests', probe: { file: '/usr/bin/redis-server' } },
  ]
}

/** The requirements `isPresent` says are not on this machine. */
export function missingRequirements(requirements, isPresent) {
  return requirements.filter((r) => !isPresent(r.probe))
}

/**
 * Nothing to do, apt-get commands to run (as root, with apt-get), or a one-line message naming the command
 * the user must run. Never interactive: `-y` and no prompts.
 */
export function setupPlan({ missing, isRoot, hasAptGet }) {
  if (missing.length === 0) return { kind: 'ready' }
  const pkgs = [...new Set(missing.map((r) => r.pkg))]
  const install = ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...pkgs]
  if (isRoot && hasAptGet) return { kind: 'install', pkgs, commands: [['apt-get', 'update', '-qq'], install] }
  const what = missing.map((r) => `${r.pkg} (${r.neededBy})`).join(', ')
  const sudo = isRoot ? '' : 'sudo '
  const command = `${sudo}apt-get update && ${sudo}apt-get install -y --no-install-recommends ${pkgs.join(' ')}`
  const message = hasAptGet
    ? `npm test needs ${what}; run: ${command}`
    : `npm test needs ${what}; install them with your package manager (on Debian: ${command})`
  return { kind: 'stop', pkgs, message }
}
