import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postCompare, startJuxta, type RunningJuxta } from '../helpers/juxta.ts'
import { GIF, PNG, dataUrl } from '../images/fixtures.ts'

// The demo provider accepts image parts and says it cannot see them: they add no input tokens.

const CONFIG = `
run:
  max_retries: 0
providers:
  demo:
    builtin: demo
    models:
      - id: fast
        vision: true
        simulate: { ttft_ms: 0, tokens_per_s: 100000 }
      - id: blind
        vision: false
        simulate: { ttft_ms: 0, tokens_per_s: 100000 }
`

let juxta: RunningJuxta

beforeAll(async () => {
  juxta = await startJuxta({ config: CONFIG })
})

afterAll(async () => {
  await juxta?.close()
})

describe('the demo provider with images', () => {
  it('answers, names the images it received and counts only the text as input', async () => {
    const plain = await postCompare(juxta.url, { prompt: 'What is this?', targets: ['demo/fast'] })
    const withImages = await postCompare(juxta.url, {
      prompt: 'What is this?',
      targets: ['demo/fast'],
      images: [dataUrl('image/png', PNG), dataUrl('image/gif', GIF)],
    })
    expect(withImages.status).toBe(200)
    const result = withImages.body.results[0]!
    expect(result.status).toBe('ok')
    expect(result.text).toContain('2 images attached (PNG, 1 KB, GIF, 1 KB)')
    expect(result.text).toContain('The simulator cannot see images')
    expect(result.usage.source).toBe('reported')
    expect(result.usage.input_tokens).toBe(plain.body.results[0]!.usage.input_tokens)
  })

  it('refuses images for a demo model marked vision: false', async () => {
    const res = await postCompare(juxta.url, {
      prompt: 'What is this?',
      targets: ['demo/blind'],
      images: [dataUrl('image/png', PNG)],
    })
    expect(res.status).toBe(422)
    expect(res.body.error.issues).toEqual([
      {
        path: 'targets[0]',
        message: '"demo/blind" cannot read images (vision: false in config); remove it or the images',
      },
    ])
  })
})
