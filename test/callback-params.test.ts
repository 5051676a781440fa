/** judgePastedUrl: a pasted address is told the first part that is wrong, in reading order. */
import {describe, expect, test} from '@jest/globals'
import {judgePastedUrl} from '../src/login/callback-params.js'

const expected = {port: 43123, state: 'the-state'}

describe('judgePastedUrl', () => {
  test.each([
    ['not a url', /^That is not a URL/],
    ['https://127.0.0.1:43123/callback?code=c&state=the-state', /^The address starts with https:\/\/; the sign-in ends at http:\/\/127\.0\.0\.1:43123\/callback/],
    ['http://example.com/x', /^That address is for host example\.com, not this login/],
    ['http://example.com:43123/callback?code=c&state=the-state', /^That address is for host example\.com:43123/],
    ['http://127.0.0.1:1/x', /^That address is for port 1, not this login/],
    ['http://127.0.0.1:43123/x', /^That address has the path \/x;/],
    ['http://127.0.0.1:43123/callback?code=c&state=other', /belongs to another login/],
  ])('%s', (text, reason) => {
    expect(judgePastedUrl(text, expected)).toEqual({kind: 'rejected', status: 400, reason: expect.stringMatching(reason)})
  })

  test('the right address, on localhost too', () => {
    expect(judgePastedUrl('http://localhost:43123/callback?code=c&state=the-state', expected)).toEqual({kind: 'code', code: 'c', state: 'the-state'})
    expect(judgePastedUrl('  http://127.0.0.1:43123/callback?code=c&state=the-state\n', expected)).toEqual({kind: 'code', code: 'c', state: 'the-state'})
  })
})
