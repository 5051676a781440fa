/** The error a promise rejects with, for tests that look at more than the message; fails when it resolves. */
export async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a failure, but it succeeded')
}
