// A five-field cron schedule (minute hour day-of-month month day-of-week),
// evaluated in UTC: numbers, `*`, ranges `a-b`, steps `*/n` and `a-b/n`,
// lists `a,b`; day-of-week 0-7 (0 and 7 are Sunday). As in cron, when both
// day fields are restricted a day matching either one fires. No names (JAN,
// MON), no seconds, no `L`/`W`/`#`.

export interface CronSchedule {
  readonly expression: string
  /** The first firing time strictly after `afterMs` (wall ms, UTC), or undefined if none within 8 years. */
  next(afterMs: number): number | undefined
}

const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
] as const

const MINUTE_MS = 60_000
const HOUR_MS = 60 * MINUTE_MS
const DAY_MS = 24 * HOUR_MS
/** Leap days and Feb 30 alike: give up after 8 years of days rather than loop forever. */
const SEARCH_DAYS_MAX = 8 * 366

export class CronError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CronError'
  }
}

export function parseCron(expression: string): CronSchedule {
  const parts = expression.trim().split(/\s+/)
  if (parts.length !== 5) throw new CronError(`cron "${expression}" must have 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`)
  const [minutes, hours, days, months, weekdays] = parts.map((p, i) => parseField(p, FIELDS[i]!, expression))
  if (weekdays!.has(7)) weekdays!.add(0)
  const domAny = parts[2] === '*'
  const dowAny = parts[4] === '*'
  const dayMatches = (d: Date): boolean => {
    const dom = days!.has(d.getUTCDate())
    const dow = weekdays!.has(d.getUTCDay())
    if (domAny || dowAny) return dom && dow
    return dom || dow
  }
  return {
    expression,
    next(afterMs) {
      let t = Math.floor(afterMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS
      const limit = t + SEARCH_DAYS_MAX * DAY_MS
      while (t < limit) {
        const d = new Date(t)
        if (!months!.has(d.getUTCMonth() + 1)) t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)
        else if (!dayMatches(d)) t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)
        else if (!hours!.has(d.getUTCHours())) t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours() + 1)
        else if (!minutes!.has(d.getUTCMinutes())) t += MINUTE_MS
        else return t
      }
      return undefined
    },
  }
}

function parseField(text: string, field: typeof FIELDS[number], expression: string): Set<number> {
  const out = new Set<number>()
  const bad = (why: string): never => { throw new CronError(`cron "${expression}": ${field.name} "${text}": ${why}`) }
  for (const item of text.split(',')) {
    const [range, stepText, extra] = item.split('/')
    if (extra !== undefined || range === undefined || range === '') bad('expected a value, range or step')
    const step = stepText === undefined ? 1 : toInt(stepText, bad)
    if (step < 1) bad('the step must be at least 1')
    let lo: number = field.min
    let hi: number = field.max
    if (range !== '*') {
      const [a, b, more] = range!.split('-')
      if (more !== undefined) bad('a range has two ends')
      lo = toInt(a!, bad)
      hi = b === undefined ? (stepText === undefined ? lo : field.max) : toInt(b, bad)
    }
    if (lo < field.min || hi > field.max || lo > hi) bad(`values must lie in ${field.min}-${field.max}, low to high`)
    for (let v = lo; v <= hi; v += step) out.add(v)
  }
  return out
}

function toInt(text: string, bad: (why: string) => never): number {
  if (!/^\d+$/.test(text)) bad(`"${text}" is not a number`)
  return Number(text)
}
