import {createInterface} from 'node:readline/promises'

/**
 * One question on the terminal: the question on stderr (stdout stays payload), one line read from stdin. Undefined
 * when stdin ends or the signal fires first. Only for a person at a terminal; callers check that before asking.
 */
export async function askLine(question: string, streams: {input: NodeJS.ReadableStream; output: NodeJS.WritableStream; signal?: AbortSignal}): Promise<string | undefined> {
  const rl = createInterface({input: streams.input, output: streams.output, terminal: false})
  try {
    const closed = new Promise<undefined>((resolve) => rl.once('close', () => resolve(undefined)))
    streams.output.write(question)
    const answer = await Promise.race([rl.question('', streams.signal ? {signal: streams.signal} : {}), closed])
    return answer?.trim()
  } catch {
    return undefined
  } finally {
    rl.close()
  }
}

/** A y/N question: only an answer starting with y means yes. */
export async function askYesNo(question: string, streams: {input: NodeJS.ReadableStream; output: NodeJS.WritableStream; signal?: AbortSignal}): Promise<boolean> {
  const answer = await askLine(`${question} [y/N] `, streams)
  return /^y/i.test(answer ?? '')
}
