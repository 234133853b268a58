// `troupe new <dir>`: writes an app folder to start from. Refuses a folder
// that already holds anything, so it never overwrites a user's files.

import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { VERSION } from '../version.js'
import { scaffoldFiles } from './scaffold.js'
import { CommandError, UsageError } from './usage.js'

export const NEW_HELP = `Usage: troupe new <dir>

Creates an app folder: index.ts (defineApp), actions/greet.ts (an action with
a zod schema), package.json, tsconfig.json and a README. The folder must not
exist or be empty. Then:

  cd <dir> && npm install && npx troupe start --app .

Options:
  -h, --help         show this help
`

export async function newCommand(argv: string[]): Promise<number> {
  let positionals
  try {
    ({ positionals } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: {} }))
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const [dir, ...extra] = positionals
  if (dir === undefined || dir === '') throw new UsageError('troupe new needs a folder: troupe new <dir>')
  if (extra.length > 0) throw new UsageError(`troupe new takes one folder, got ${positionals.length}`)
  const target = resolve(dir)
  await ensureEmpty(target, dir)
  const files = scaffoldFiles({ name: appName(target), troupeVersion: VERSION, zodVersion: await zodRange() })
  for (const [name, content] of Object.entries(files)) {
    const path = join(target, name)
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, content, { flag: 'wx' })
  }
  process.stdout.write([
    `created ${dir}: ${Object.keys(files).join(', ')}`,
    '',
    'next:',
    `  cd ${dir}`,
    '  npm install',
    '  npx troupe start --app .',
    '',
  ].join('\n'))
  return 0
}

async function ensureEmpty(target: string, shown: string): Promise<void> {
  let entries: string[]
  try {
    entries = await readdir(target)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return
    if (code === 'ENOTDIR') throw new CommandError(`${shown} exists and is not a folder`)
    throw new CommandError(`cannot use ${shown}: ${(err as Error).message}`, { cause: err })
  }
  if (entries.length > 0) throw new CommandError(`${shown} is not empty; troupe new only writes into a new or empty folder`)
}

/** npm package names: lower case, URL-safe. */
export function appName(dir: string): string {
  const name = basename(dir).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+|-+$/g, '')
  return name === '' ? 'troupe-app' : name.slice(0, 64)
}

/** The zod range this copy of troupe was built with, so the app's schemas are the ones troupe knows. */
async function zodRange(): Promise<string> {
  try {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { dependencies?: Record<string, string> }
    const version = pkg.dependencies?.zod
    return version === undefined ? '^4.0.0' : `^${version.replace(/^[\^~]/, '')}`
  } catch {
    return '^4.0.0' // no package.json beside us (bundled): any zod 4 works
  }
}
