// The "any" task: one peer sends the welcome email. Its headers carry the
// task id (one message per signup, whatever peer sends it) and the lease
// partition's fence, so the receiving end can refuse a stale sender.
import { z } from 'zod'
import { defineTask } from 'troupe'
import { smtpHost, smtpPort } from './config.js'
import { sendMail } from './smtp-client.js'

export const signupInput = z.object({
  email: z.email().max(254),
  name: z.string().trim().min(1).max(100),
})

export const welcomeEmail = defineTask({
  name: 'welcome-email',
  description: 'Sends the welcome email of one signup over SMTP.',
  scope: 'any',
  input: signupInput,
  retry: { attempts: 5, backoffMs: 1_000 },
  timeoutMs: 15_000,
  run: async (ctx, input) => {
    const reply = await sendMail({
      from: 'Troupe <welcome@troupe.example>',
      to: `${input.name} <${input.email}>`,
      subject: `Welcome, ${input.name}!`,
      headers: {
        'Message-ID': `<${ctx.taskId}@troupe.example>`,
        'X-Troupe-Task': ctx.taskId,
        'X-Troupe-Fence': ctx.fence ?? '',
        'X-Troupe-Partition': String(ctx.partition),
        'X-Troupe-Peer': ctx.peer.id,
        'X-Troupe-Attempt': String(ctx.attempt),
      },
      text: `Hello ${input.name},\n\nthanks for signing up with ${input.email}.\n\n-- sent by peer ${ctx.peer.id}\n`,
    }, { host: smtpHost(), port: smtpPort(), signal: ctx.signal })
    ctx.logger.info('welcome email sent', { email: input.email, reply })
  },
})
