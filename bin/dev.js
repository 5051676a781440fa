#!/usr/bin/env -S node --import tsx
import {execute} from '@oclif/core'

import {withDefaultCommand} from './default-command.js'

await execute({args: withDefaultCommand(process.argv.slice(2)), development: true, dir: import.meta.url})
