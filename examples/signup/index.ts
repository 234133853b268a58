// Signup: an action answers at once and leaves the slow part, sending a
// welcome email over SMTP, to an "any" task that exactly one peer runs.
// With SMTP_SINK=1 this peer also starts a local SMTP sink that writes the
// messages it receives to a file (start it on one peer only).
import { defineAction, defineApp } from 'troupe'
import { sinkFile, smtpPort } from './config.js'
import { startSmtpSink } from './smtp-sink.js'
import { signupInput, welcomeEmail } from './welcome-email.js'

const signup = defineAction({
  name: 'signup',
  description: 'Signs up {email, name} and enqueues its welcome email (once per email, however often it is posted).',
  input: signupInput,
  get: false,
  run: async (ctx, input) => {
    const email = input.email.toLowerCase()
    // Same key, same task: a second signup of an email does not send a second email.
    const task = await ctx.tasks.enqueue('welcome-email', { email, name: input.name }, { idempotencyKey: email })
    return { email, task, peer: ctx.peer.id }
  },
})

if (process.env.SMTP_SINK === '1') {
  const file = sinkFile()
  const sink = await startSmtpSink({ file, port: smtpPort(), unref: true })
  process.stdout.write(`smtp sink on 127.0.0.1:${sink.port}, writing to ${file}\n`)
}

export default defineApp({
  name: 'signup',
  actions: [signup],
  tasks: [welcomeEmail],
})
