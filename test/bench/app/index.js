// The bench app for `troupe start --app test/bench/app` (the memory test).
import { app } from '../lib/app.mjs'
export default app
