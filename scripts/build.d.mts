export const EXTERNAL: string[]
export const ENTRIES: string[]
export function build(options?: { outdir?: string }): Promise<Array<{ text: string }>>
