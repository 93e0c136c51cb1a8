export const handler = async (event: unknown) => { throw new Error('not implemented yet'); };
