import { z } from 'zod'

// The bounds of a run's input, shared by the compare API, presets and the history format, so whatever one
// accepts the others store and re-import.

export const MAX_PROMPT_CHARS = 500_000
export const MAX_SYSTEM_CHARS = 200_000
/** The most targets a stored run or preset may hold (the configured max_targets is at most this). */
export const MAX_RUN_TARGETS = 64
export const MAX_TEMPERATURE = 2
export const MAX_MAX_TOKENS = 1_000_000

export const PromptSchema = z.string().max(MAX_PROMPT_CHARS)
export const SystemSchema = z.string().max(MAX_SYSTEM_CHARS)
export const TemperatureSchema = z.number().min(0).max(MAX_TEMPERATURE)
export const MaxTokensSchema = z.number().int().min(1).max(MAX_MAX_TOKENS)
