#!/usr/bin/env node
import {withDefaultCommand} from './default-command.js'

const argv = withDefaultCommand(process.argv.slice(2))

let served = false
// Help text only changes with a release: the build rendered it with oclif (src/cli/pre-rendered-help.ts).
if (argv.includes('--help') || argv.includes('-h')) {
  const {printPreRenderedHelp} = await import('../dist/cli/pre-rendered-help.js')
  served = printPreRenderedHelp(argv)
}
// env, ticket, status and api run in scripts, often in loops: serve them without loading oclif when the argv allows it.
if (!served && ['env', 'ticket', 'status', 'api'].includes(argv[0]) && !argv.includes('--help') && !argv.includes('-h')) {
  // dist/fast/ is the same code bundled into few modules at build (scripts/fast-path-bundle.js); dist/cli/ serves
  // a build made with tsc alone.
  const {runFastPath} = await import('../dist/fast/fast-path.js').catch((error) => {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error
    return import('../dist/cli/fast-path.js')
  })
  served = await runFastPath(argv)
}
if (!served) {
  // Mistyped commands, stray words and `help …` are settled from the manifests, in pve-login's words.
  const {checkCommandLine} = await import('../dist/cli/command-line-check.js')
  const verdict = await checkCommandLine(argv)
  if (verdict.kind === 'error') {
    const {reportError} = await import('../dist/cli/error-report.js')
    const report = reportError(verdict.error, process.env)
    if (argv.includes('--json')) process.stdout.write(JSON.stringify(report.json) + '\n')
    else process.stderr.write(report.text)
    process.exitCode = report.exitCode
  } else {
    const {execute, settings} = await import('@oclif/core')
    // This entry point runs the compiled dist/ (bin/dev.js is the TypeScript one). Without this, oclif looks for
    // TypeScript when NODE_ENV is test or development and warns on stderr that it cannot find it.
    settings.enableAutoTranspile = false
    await execute({args: verdict.argv, dir: import.meta.url})
  }
}
// The command is done. Whatever it leaves pending (a keychain call past its deadline, a connection still closing)
// must not keep `eval "$(pve-login env)"` or `pve-login exec -- …` waiting: once the output is out, end.
await new Promise((resolve) => process.stdout.write('', () => process.stderr.write('', resolve)))
process.exit()
