/** What changed: the stored keys, the custom providers (with their models and prices), or possibly anything. */
export type SettingsTopic = 'keys' | 'providers' | 'all'

export type SettingsListener = (topic: SettingsTopic) => void | Promise<void>

/**
 * Where instances tell each other that a setting changed. Every settings change goes through `publish` after
 * its document is written; each other instance reloads that document and rebuilds its catalog. Alone, the
 * bus is `LocalSettingsBus`, which has no one to tell.
 */
export interface SettingsBus {
  /** One announcement per change, naming every document it wrote (applied together on the other side). */
  publish(topics: ReadonlyArray<Exclude<SettingsTopic, 'all'>>): Promise<void>
  /** `listener` runs for changes made by other instances, never for this instance's own. */
  subscribe(listener: SettingsListener): void
  close(): Promise<void>
}

/** One instance: its own changes are already applied, so there is nothing to send. */
export class LocalSettingsBus implements SettingsBus {
  async publish(): Promise<void> {}
  subscribe(): void {}
  async close(): Promise<void> {}
}
