// The files `troupe new` writes: a runnable app (index.ts with defineApp, one
// example action with a zod schema), its package.json and tsconfig, a README.

export interface ScaffoldInit {
  /** The app's name: package name and the name shown in /status. Only [a-z0-9._-] (see appName). */
  name: string
  troupeVersion: string
  zodVersion: string
}

export function scaffoldFiles(init: ScaffoldInit): Record<string, string> {
  return {
    'package.json': `${JSON.stringify({
      name: init.name,
      version: '0.1.0',
      private: true,
      type: 'module',
      scripts: { start: 'troupe start --app .', status: 'troupe status' },
      dependencies: { troupe: `^${init.troupeVersion}`, zod: init.zodVersion },
    }, null, 2)}\n`,
    'tsconfig.json': `${JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, noEmit: true },
      include: ['**/*.ts'],
      exclude: ['node_modules'],
    }, null, 2)}\n`,
    '.gitignore': 'node_modules/\n.troupe/\n',
    'index.ts': `// The app: every peer started with \`troupe start --app .\` serves its actions
// at POST /api/<name> (and GET, unless an action says get: false).
import { defineApp } from 'troupe'
import { greet } from './actions/greet.js'

export default defineApp({ name: '${init.name}', actions: [greet] })
`,
    'actions/greet.ts': `// An action: a name, an input schema, and a function. Invalid input is
// answered with 422 and the failing fields before run() is called.
import { z } from 'zod'
import { ActionError, defineAction } from 'troupe'

export const greet = defineAction({
  name: 'greet',
  description: 'Greets someone from the peer that answered.',
  // GET /api/greet?name=x passes strings: use z.coerce for numbers.
  input: z.object({
    name: z.string().min(1).max(100).default('world'),
    times: z.coerce.number().int().min(1).max(5).default(1),
  }),
  run: (ctx, input) => {
    if (input.name === 'nobody') throw new ActionError('nobody cannot be greeted', { status: 404 })
    return { greeting: Array(input.times).fill(\`hello, \${input.name}\`).join(' '), peer: ctx.peer.id }
  },
})
`,
    'README.md': `# ${init.name}

An app for Troupe, a brokerless actor cluster runtime.

\`\`\`sh
npm install
npx troupe start --app .
\`\`\`

Then, from another terminal:

\`\`\`sh
curl -s 'localhost:8080/api/greet?name=you'
curl -s -X POST localhost:8080/api/greet -H 'content-type: application/json' -d '{"name": "you", "times": 2}'
npx troupe status
\`\`\`

Open http://localhost:8080/docs to try every action from the browser.

Start a second peer that joins the first (its address is printed at start):

\`\`\`sh
npx troupe start --app . --port 8081 --seed /ip4/127.0.0.1/tcp/9080/p2p/<peer id>
\`\`\`

## Layout

- \`index.ts\`: the app, \`defineApp({ name, actions })\`, default-exported.
- \`actions/\`: one file per action, each \`defineAction({ name, input, run })\`.

TypeScript loads without a build step. \`npx troupe start --help\` lists every
option; they can also come from \`TROUPE_*\` variables or a \`--config\` file.
`,
  }
}
