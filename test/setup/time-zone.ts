/**
 * jest globalSetup: the tests run in UTC, so expectations on times for people (`23:04 (+00:00)`) do not depend on
 * the developer's zone. It runs in jest's main process before any worker starts, so workers and the CLI processes
 * the tests spawn inherit it. Tests of other zones pass an explicit zone (format-duration) or TZ to the CLI.
 */
export default function useUtc(): void {
  process.env['TZ'] = 'UTC'
}
