#!/usr/bin/env node
// First step of `npm test`: make sure the system packages the tests need are installed. As root with
// apt-get it installs what is missing (non-interactive); otherwise it stops at once with the command to run.
// When everything is present it only checks a few paths and never calls apt-get.
import { spawnSync } from 'node:child_process'
import { accessSync, constants, readdirSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { missingRequirements, setupPlan, systemRequirements } from './system-requirements.mjs'

const isExecutable = (path) => {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

const onPath = (name) => (process.env.PATH ?? '').split(delimiter).some((dir) => dir && isExecutable(join(dir, name)))

const subdirs = (dir) => {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

const isPresent = (probe) =>
  probe.under
    ? subdirs(probe.under).some((d) => isExecutable(join(probe.under, d, probe.file)))
    : 'file' in probe
      ? isExecutable(probe.file)
      : probe.commands.some(onPath)

const fail = (message) => {
  console.error(`ensure-system: ${message}`)
  process.exit(1)
}

const requirements = systemRequirements(process.env)
const plan = setupPlan({
  missing: missingRequirements(requirements, isPresent),
  isRoot: process.getuid?.() === 0,
  hasAptGet: onPath('apt-get'),
})

if (plan.kind === 'stop') fail(plan.message)
if (plan.kind === 'install') {
  console.error(`ensure-system: installing ${plan.pkgs.join(' ')} for the tests`)
  for (const [cmd, ...args] of plan.commands) {
    const run = spawnSync(cmd, args, {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    })
    if (run.status !== 0) fail(`\`${cmd} ${args.join(' ')}\` failed (${run.error?.message ?? `exit ${run.status}`})`)
  }
  const still = missingRequirements(requirements, isPresent)
  if (still.length > 0) fail(`still missing after apt-get install: ${still.map((r) => r.pkg).join(', ')}`)
}
