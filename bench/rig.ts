import type { Agent } from 'node:http'
import type OpenAI from 'openai'
import type { JuxtaProcess } from './juxta-process.ts'
import type { MockUpstream } from './mock-upstream.ts'

/** Everything a phase needs: the mock, the Juxta child, and the three readers' connection pools. */
export interface Rig {
  mock: MockUpstream
  juxta: JuxtaProcess
  /** Pool for requests to Juxta. */
  juxtaAgent: Agent
  /** Pool for the raw reader straight at the mock. */
  mockAgent: Agent
  /** The openai SDK pointed straight at the mock (maxRetries 0). */
  sdk: OpenAI
  quick: boolean
  log(line: string): void
}

/** Juxta's target id for a mock model. */
export const target = (model: string) => `mock/${model}`

let seq = 0
/** A prompt unique to one request, so the mock's records can be matched to it. */
export const tagFor = (phase: string, traced = false) => `bench ${phase} ${++seq}${traced ? ' #trace' : ''}`
