/**
 * "Did you mean …?" for a mistyped command, flag or topic: the candidate within a small edit distance (Levenshtein,
 * with a swap of two neighbouring letters counting as one edit, so `lgoin` finds `login`), or the one candidate a
 * shortened word begins. Nothing when no candidate
 * is close enough: a wild guess is worse than none.
 */
export function closestMatch(input: string, candidates: readonly string[]): string | undefined {
  const wanted = input.toLowerCase()
  // A word cut short (`stat`, `--brow`) names the one candidate it begins.
  const extensions = candidates.filter((candidate) => wanted.length >= 3 && candidate.toLowerCase().startsWith(wanted))
  if (extensions.length === 1) return extensions[0]
  // One edit for short words, two from five letters on, three from nine: about a third of the word.
  const limit = Math.max(1, Math.min(3, Math.floor(wanted.length / 3) + (wanted.length >= 5 ? 1 : 0)))
  let best: {candidate: string; distance: number} | undefined
  for (const candidate of candidates) {
    const distance = editDistance(wanted, candidate.toLowerCase())
    if (distance <= limit && (!best || distance < best.distance)) best = {candidate, distance}
  }
  return best?.candidate
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1
  const columns = b.length + 1
  const d: number[][] = Array.from({length: rows}, (_, i) => Array.from({length: columns}, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < columns; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let value = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, d[i - 2]![j - 2]! + 1)
      d[i]![j] = value
    }
  }
  return d[a.length]![b.length]!
}
