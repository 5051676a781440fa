import {Console} from 'node:console'

// jest decorates console output with stack traces; tests that print diagnostics want plain lines.
globalThis.console = new Console({stdout: process.stdout, stderr: process.stderr})
