/** Filled in by the team store work. */
export const teamSchema = 'SELECT 1'
