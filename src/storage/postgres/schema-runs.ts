/** Filled in by the runs store work. */
export const runsSchema = 'SELECT 1'
