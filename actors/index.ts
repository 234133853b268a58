// The default app that `npm start` runs: a counter and a chat room (actors),
// actions that talk to them from whichever peer receives the request, and
// tasks that message them later ("any": on one peer; "all": on every peer).
import { defineApp } from 'troupe'
import { add, hello, post, read, readCounter, tallyLater } from './actions.js'
import { counter } from './counter.js'
import { room } from './room.js'
import { announce, tally } from './tasks.js'

export default defineApp({
  name: 'troupe-default',
  actions: [hello, add, readCounter, tallyLater, post, read],
  actors: [counter, room],
  tasks: [tally, announce],
})
