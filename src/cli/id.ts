// `troupe id --data <dir>`: the peer id a peer started on that data folder has,
// creating the folder's peer key if it has none. For seed lists written before
// the peers first start (every peer of a new cluster given the same list).

import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { parseArgs } from 'node:util'
import { loadOrCreateIdentity } from '../net/identity.js'
import { CommandError, UsageError } from './usage.js'

export const ID_HELP = `Usage: troupe id --data <dir> [--json]

Prints the peer id of a peer started on this data folder, creating the
folder and its peer key (peer.key) if there is none yet. The id goes into
seeds as /ip4/<host>/tcp/<port>/p2p/<id>. Give every peer of a new cluster
the same seed list, naming them all: once all of them are up and see each
other, the one with the smallest id founds the cluster and the others join it.

Options:
  --data <dir>     the peer's data folder (or set TROUPE_DATA)
  --json           print { "id": ..., "created": ... } as JSON
  -h, --help       show this help
`

export async function idCommand(argv: string[]): Promise<number> {
  let values: { data?: string, json?: boolean }
  try {
    ({ values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { data: { type: 'string' }, json: { type: 'boolean' } } }))
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const data = values.data ?? process.env.TROUPE_DATA
  if (data === undefined || data === '') throw new UsageError('troupe id needs a data folder: troupe id --data <dir> (or TROUPE_DATA)')
  let identity
  try {
    identity = await loadOrCreateIdentity(data)
  } catch (err) {
    throw new CommandError((err as Error).message, { cause: err })
  }
  const id = peerIdFromPrivateKey(identity.key as Parameters<typeof peerIdFromPrivateKey>[0]).toString()
  process.stdout.write(values.json === true ? `${JSON.stringify({ id, created: identity.created })}\n` : `${id}\n`)
  return 0
}
