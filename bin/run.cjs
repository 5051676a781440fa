#!/usr/bin/env node
// CommonJS, and no imports at the top: an ES module as the entry point costs a cached `pve-login env` some 5 ms of
// Node's ES loader (a fifth of `node -e 0`, measured on 2 cores with Node 20), and each module more; this file loads
// only what the command line in front of it needs.
'use strict'
const FAST_COMMANDS = ['env', 'ticket', 'status', 'api', 'login']

void main()

async function main() {
  const given = process.argv.slice(2)
  const wantsHelp = given.includes('--help') || given.includes('-h')
  // `pve-login` and `pve-login --realm x` mean `pve-login login …`; a cached `env` does not pay for finding that out.
  const argv = FAST_COMMANDS.includes(given[0]) ? given : (await import('./default-command.js')).withDefaultCommand(given)

  let served = false
  // Until the fast path says otherwise, the output went through process.stdout and process.stderr.
  let flushOutput = flushProcessStreams
  // env, ticket, status and api run in scripts, often in loops, and a login's wait for the browser is felt: serve them
  // without loading oclif when the argv allows it.
  if (!wantsHelp && FAST_COMMANDS.includes(argv[0])) {
    // dist/cli/ serves a build made with tsc alone.
    const fastPath = loadFastPathBundle() ?? (await import('../dist/cli/fast-path.js'))
    served = await fastPath.runFastPath(argv)
    if (served) flushOutput = fastPath.flushProcessOutput
  }
  if (!served) {
    endQuietlyWhenStdoutCloses()
    // Help text only changes with a release: the build rendered it with oclif (src/cli/pre-rendered-help.ts).
    if (wantsHelp) {
      const {printPreRenderedHelp} = await import('../dist/cli/pre-rendered-help.js')
      served = printPreRenderedHelp(argv)
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
        await execute({args: verdict.argv, dir: process.getBuiltinModule('node:url').pathToFileURL(__filename).href})
      }
    }
  }
  // The command is done. Whatever it leaves pending (a keychain call past its deadline, a connection still closing)
  // must not keep `eval "$(pve-login env)"` or `pve-login exec -- …` waiting: once the output is out, end.
  await flushOutput()
  process.exit()
}

/**
 * A reader of stdout that went away (`pve-login --help | true`) ends the process quietly with 141, 128 + SIGPIPE
 * (EXIT.stdoutClosed in src/cli/exit-codes.ts; the fast path's src/cli/io.ts does the same), not with a stack trace.
 */
function endQuietlyWhenStdoutCloses() {
  process.stdout.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(141)
    throw error
  })
}

function flushProcessStreams() {
  return new Promise((resolve) => process.stdout.write('', () => process.stderr.write('', resolve)))
}

/**
 * dist/fast/fast-path.cjs, the fast path's small bundle (scripts/fast-path-bundle.js), through the bundles' loader
 * (src/load-bundle.cjs, copied to dist/): compiled from the V8 code cache the build made for it. Undefined when this
 * build has no bundle (a build with tsc alone).
 */
function loadFastPathBundle() {
  const {join} = process.getBuiltinModule('node:path')
  const dist = join(__dirname, '..', 'dist')
  const bundle = join(dist, 'fast', 'fast-path.cjs')
  // The build writes the bundle and its loader together; an error inside them is not "no bundle".
  if (!process.getBuiltinModule('node:fs').existsSync(bundle)) return undefined
  return require(join(dist, 'load-bundle.cjs')).loadBundle(bundle)
}
