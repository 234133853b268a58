#!/usr/bin/env node
// The `troupe` command. The compat shim comes first: libp2p needs it on Node 20.
import '../compat.js'
import { main } from './run.js'

process.exitCode = await main(process.argv.slice(2))
