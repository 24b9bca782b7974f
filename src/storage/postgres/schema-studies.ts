/** Filled in by the studies store work. */
export const studiesSchema = 'SELECT 1'
