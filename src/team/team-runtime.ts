import type { Runtime, RuntimeOptions } from '../runtime.ts'
import { StartupError } from '../runtime.ts'
import type { TeamSettings } from './team-env.ts'

/** Filled in when the PostgreSQL stores land. */
export async function buildTeamRuntime(
  _env: Readonly<Record<string, string | undefined>>,
  _options: RuntimeOptions & { team: TeamSettings },
): Promise<Runtime> {
  throw new StartupError('DATABASE_URL: not yet')
}
