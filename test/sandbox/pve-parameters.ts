import {PveError, parameterVerificationFailed} from './pve-error.js'

/**
 * PVE's JSON-schema parameter check (pve-common JSONSchema.pm) for the handful of types the sandbox needs.
 * The error texts are PVE's, so a client's error reporting can be tested against them.
 */
export interface ParameterFormat {
  pattern: RegExp
  /** JSONSchema.pm appends the format checker's die text, newline included, to "invalid format - ". */
  complaint: string
}

export type ParameterSpec =
  | {type: 'string'; optional?: boolean; maxLength?: number; format?: ParameterFormat; pattern?: RegExp}
  | {type: 'integer'; optional?: boolean; minimum?: number; maximum?: number}
  | {type: 'boolean'; optional?: boolean}

export type ParameterSchema = Readonly<Record<string, ParameterSpec>>
export type ParameterValues = Record<string, string>

export const REALM_FORMAT: ParameterFormat = {
  pattern: /^[A-Za-z][A-Za-z0-9.\-_]+$/,
  complaint: 'value does not look like a valid realm\n',
}

export const DNS_NAME_FORMAT: ParameterFormat = {
  pattern: /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?\.)*[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/,
  complaint: 'value does not look like a valid DNS name\n',
}

/** Query string and body merged, as pve-http-server's extract_params does; JSON bodies are accepted too. */
export function collectRawParameters(
  query: URLSearchParams,
  body: string,
  contentType: string | undefined,
): Record<string, unknown> {
  const raw: Record<string, unknown> = Object.fromEntries(query)
  if (body.length === 0) return raw
  if ((contentType ?? '').toLowerCase().startsWith('application/json')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(body)
    } catch {
      throw new PveError(400, 'malformed JSON body\n')
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new PveError(400, 'malformed JSON body: expected an object\n')
    }
    return {...raw, ...(parsed as Record<string, unknown>)}
  }
  return {...raw, ...Object.fromEntries(new URLSearchParams(body))}
}

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on'])
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off'])

function perlTypeName(value: unknown): string {
  return Array.isArray(value) ? 'ARRAY' : 'HASH'
}

/** One value's problem in PVE's words, or the normalised string value. */
function checkValue(spec: ParameterSpec, value: unknown): {problem: string} | {value: string} {
  if (value !== null && typeof value === 'object') return {problem: `type check ('${spec.type}') failed - got ${perlTypeName(value)}`}
  const text = String(value)
  switch (spec.type) {
    case 'string':
      if (spec.format && !spec.format.pattern.test(text)) return {problem: `invalid format - ${spec.format.complaint}`}
      // A schema `pattern` (not a registered format) has its own, fixed complaint (JSONSchema.pm check_prop).
      if (spec.pattern && !spec.pattern.test(text)) return {problem: 'value does not match the regex pattern'}
      if (spec.maxLength !== undefined && text.length > spec.maxLength) {
        return {problem: `value may only be ${spec.maxLength} characters long`}
      }
      return {value: text}
    case 'integer':
      if (!/^-?\d+$/.test(text)) return {problem: `type check ('integer') failed - got '${text}'`}
      if (spec.minimum !== undefined && Number(text) < spec.minimum) return {problem: `value must have a minimum value of ${spec.minimum}`}
      if (spec.maximum !== undefined && Number(text) > spec.maximum) return {problem: `value must have a maximum value of ${spec.maximum}`}
      return {value: String(Number(text))}
    case 'boolean': {
      const word = text.toLowerCase()
      if (TRUE_WORDS.has(word)) return {value: '1'}
      if (FALSE_WORDS.has(word)) return {value: '0'}
      return {problem: `type check ('boolean') failed - got '${text}'`}
    }
  }
}

/** Validates against the schema (additionalProperties => 0); throws PVE's 400 with an `errors` map. */
export function validateParameters(schema: ParameterSchema, raw: Record<string, unknown>): ParameterValues {
  const errors: Record<string, string> = {}
  const values: ParameterValues = {}
  for (const [name, spec] of Object.entries(schema)) {
    const value = Object.hasOwn(raw, name) ? raw[name] : undefined
    if (value === undefined || value === null) {
      if (!spec.optional) errors[name] = 'property is missing and it is not optional'
      continue
    }
    const checked = checkValue(spec, value)
    if ('problem' in checked) errors[name] = checked.problem
    else values[name] = checked.value
  }
  for (const name of Object.keys(raw)) {
    if (!Object.hasOwn(schema, name)) {
      errors[name] = 'property is not defined in schema and the schema does not allow additional properties'
    }
  }
  if (Object.keys(errors).length > 0) throw parameterVerificationFailed(errors)
  return values
}
