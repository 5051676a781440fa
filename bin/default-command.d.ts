/** `pve-login` and `pve-login --realm x` mean `pve-login login …`: the argv with the default command filled in. */
export function withDefaultCommand(argv: string[]): string[]
