/* global process, URL */
// Each pair writes results/<name>.json; report.mjs turns them into docs/performance.md.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const RESULTS = fileURLToPath(new URL('../results/', import.meta.url))

export function writeResult (name, obj) {
  mkdirSync(RESULTS, { recursive: true })
  writeFileSync(`${RESULTS}${name}.json`, JSON.stringify({ name, at: new Date().toISOString(), node: process.version, ...obj }, null, 2))
}

export function readResult (name) {
  const file = `${RESULTS}${name}.json`
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined
}

/** Integer env knob with a default. */
export function envInt (name, dflt) {
  const v = process.env[name]
  return v === undefined || v === '' ? dflt : Number(v)
}
