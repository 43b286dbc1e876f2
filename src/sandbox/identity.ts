// The credentials and names a function sees, made up at random in Lambda's own formats. A fixed value
// (a marker such as "WRAPGENVERIFY" in the access key) lets a wrapper tell a check from production in
// one line and behave only while checked; a value drawn per run in the real format does not.
import { randomBytes, randomInt } from 'node:crypto'

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
const SECRET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

const draw = (alphabet: string, n: number): string => Array.from({ length: n }, () => alphabet[randomInt(alphabet.length)]).join('')

let current: Readonly<Record<string, string>> | undefined

/**
 * Lambda's per-function variables with fresh values: temporary credentials (an ASIA key id, a 40-character
 * secret, a session token as STS issues them), a function name, and its log group and today's log
 * stream. One set per wrapgen process, so every run of one check compares like with like.
 */
export function lambdaIdentity(): Readonly<Record<string, string>> {
  if (current) return current
  const name = `${draw('abcdefghijklmnopqrstuvwxyz', 1)}${draw('abcdefghijklmnopqrstuvwxyz0123456789', 7)}-function`
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/')
  current = {
    AWS_ACCESS_KEY_ID: `ASIA${draw(BASE32, 16)}`,
    AWS_SECRET_ACCESS_KEY: draw(SECRET, 40),
    // STS session tokens are base64 of a serialised structure that starts with this prefix.
    AWS_SESSION_TOKEN: `IQoJb3JpZ2luX2Vj${randomBytes(744).toString('base64')}`,
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
  }
  return current
}

/** A host name as Lambda's sandboxes have (a link-local address). */
export const lambdaHostname = (): string => `169.254.${randomInt(1, 255)}.${randomInt(1, 255)}`
