// `pve-login` and `pve-login --realm x` mean `pve-login login …`: oclif 4 has no default command.
const ROOT_FLAGS = new Set(['--help', '-h', '--version', '-v'])

export function withDefaultCommand(argv) {
  const first = argv[0]
  if (first === undefined || (first.startsWith('-') && !ROOT_FLAGS.has(first))) return ['login', ...argv]
  return argv
}
