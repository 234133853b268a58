// The package version, read once from package.json (one level above src/ and dist/).
import { readFileSync } from 'node:fs'

/** This package's version (from package.json), sent in membership records and shown in /status. */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version
