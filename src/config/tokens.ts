// The HTTP tokens of `troupe start`: the admin token (task and cluster
// administration) and the optional action token (actions). Each comes from a
// file (`adminTokenFile`, `--admin-token-file`, TROUPE_ADMIN_TOKEN_FILE) or
// straight from the environment (TROUPE_ADMIN_TOKEN), never from a
// command-line value: those show in `ps`. A file wins over the variable.

import { readFile } from 'node:fs/promises'
import { ConfigError } from '../errors.js'
import { TOKEN_CHARS_MIN } from '../http/auth.js'
import type { Env } from './sources.js'

export const ADMIN_TOKEN_ENV = 'TROUPE_ADMIN_TOKEN'
export const ACTION_TOKEN_ENV = 'TROUPE_ACTION_TOKEN'

export interface TokenFiles { adminTokenFile?: string, actionTokenFile?: string }
export interface Tokens { adminToken?: string, actionToken?: string }

export async function readTokens(files: TokenFiles, env: Env): Promise<Tokens> {
  const adminToken = await readToken('adminTokenFile', files.adminTokenFile, ADMIN_TOKEN_ENV, env)
  const actionToken = await readToken('actionTokenFile', files.actionTokenFile, ACTION_TOKEN_ENV, env)
  if (adminToken !== undefined && adminToken === actionToken) {
    throw new ConfigError('the action token must differ from the admin token: whoever may call actions would otherwise administer the cluster')
  }
  return { adminToken, actionToken }
}

async function readToken(field: string, file: string | undefined, variable: string, env: Env): Promise<string | undefined> {
  if (file !== undefined) {
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (err) {
      throw new ConfigError(`${field}: cannot read ${file}: ${(err as Error).message}`, { cause: err })
    }
    return checked(`${field}: ${file}:`, text.trim())
  }
  const value = env[variable]?.trim()
  return value === undefined || value === '' ? undefined : checked(`${variable}:`, value)
}

function checked(label: string, token: string): string {
  if (token.length < TOKEN_CHARS_MIN) throw new ConfigError(`${label} the token must be at least ${TOKEN_CHARS_MIN} characters, got ${token.length}`)
  if (/\s/.test(token)) throw new ConfigError(`${label} the token must not contain spaces or line breaks`)
  return token
}
