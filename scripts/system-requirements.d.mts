export type Probe = { file: string; under?: string } | { commands: string[] }

export interface Requirement {
  /** Debian package that provides it. */
  pkg: string
  /** Which tests need it, for the message. */
  neededBy: string
  probe: Probe
}

export type SetupPlan =
  | { kind: 'ready' }
  | { kind: 'install'; pkgs: string[]; commands: string[][] }
  | { kind: 'stop'; pkgs: string[]; message: string }

export function systemRequirements(env: Record<string, string | undefined>): Requirement[]
export function missingRequirements(requirements: Requirement[], isPresent: (probe: Probe) => boolean): Requirement[]
export function setupPlan(options: { missing: Requirement[]; isRoot: boolean; hasAptGet: boolean }): SetupPlan
