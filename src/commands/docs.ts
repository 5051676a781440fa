import {Args, Flags} from '@oclif/core'

import type {CommandResult} from '../cli/command-result.js'
import {DOCS_DIRECTORY, docTopics, findDocTopic} from '../cli/doc-topics.js'
import {EXIT} from '../cli/exit-codes.js'
import {PveLoginCommand} from './base-command.js'

export default class Docs extends PveLoginCommand {
  static override summary = 'Read the guides shipped with pve-login (IdP setup, problems).'

  static override description = `Without a topic, lists the guides with their topic names and the folder they are installed in. With one, prints that guide (Markdown) to stdout, e.g. for a pager; --path prints only its file name, to open in an editor or a Markdown viewer. Hints in error messages name a topic: \`pve-login docs troubleshooting\`.`

  /** Listed under EXIT CODES in --help (src/commands/pve-login-help.ts). */
  static exitCodes = [EXIT.ok, EXIT.usage]

  static override examples = [
    {description: 'Which guides are there?', command: '<%= config.bin %> docs'},
    {description: 'Why PVE refused the login', command: '<%= config.bin %> docs troubleshooting | less'},
    {description: 'Setting up Keycloak for the command line', command: '<%= config.bin %> docs keycloak'},
    {description: 'Open a guide in your browser or editor', command: 'xdg-open "$(<%= config.bin %> docs login --path)"'},
  ]

  static override args = {
    topic: Args.string({description: 'A guide: login, cli, troubleshooting, setup, keycloak, … (`pve-login docs` lists them)'}),
  }

  static override flags = {
    path: Flags.boolean({description: 'Print the guide\'s file name instead of its text.'}),
  }

  protected async execute(): Promise<CommandResult> {
    const {args, flags} = await this.parse(Docs)
    if (args.topic === undefined) {
      if (flags.path) return {text: `${DOCS_DIRECTORY}\n`}
      const topics = docTopics()
      const width = Math.max(...topics.map((topic) => topic.name.length))
      const lines = topics.map((topic) => `  ${topic.name.padEnd(width)}  ${topic.title}`)
      return {text: [`Guides in ${DOCS_DIRECTORY}`, '', ...lines, '', 'Read one with: pve-login docs TOPIC (or --path for its file name)', ''].join('\n')}
    }
    const topic = findDocTopic(args.topic)
    if (flags.path) return {text: `${topic.path}\n`}
    const {readFile} = await import('node:fs/promises')
    return {text: await readFile(topic.path, 'utf8')}
  }
}
