import type { Catalog } from './catalog.ts'
import type { KeyStatus, Reachability } from './types.ts'

export interface TargetListing {
  target: string
  provider: string
  provider_name: string
  model: string
  label: string
  key_status: KeyStatus
  vision: boolean | null
  reachable: boolean | null
  unreachable_reason: string | null
}

/** The targets on offer as `GET /api/targets` (and `juxta targets`) lists them, with what is known of each. */
export function targetList(catalog: Catalog, reach: Readonly<Record<string, Reachability>>): TargetListing[] {
  return catalog.targets().map((t) => ({
    target: t.target,
    provider: t.provider.id,
    provider_name: t.provider.name,
    model: t.model.id,
    label: t.model.label,
    key_status: t.provider.keyStatus,
    // Reads images: true/false as configured, null when not declared (sent images anyway, with a note).
    vision: t.model.vision ?? null,
    // Local servers only: true/false once checked; null for cloud providers and before the first answer.
    reachable: reach[t.provider.id]?.reachable ?? null,
    unreachable_reason: reach[t.provider.id]?.reason ?? null,
  }))
}
