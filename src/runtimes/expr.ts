// Integer arithmetic for `${...}` placeholders in runtime fixtures (memory-dependent values).

/** Evaluates `+ - * /` (integer division), parentheses, integers and named variables. */
export function evalExpr(source: string, vars: Readonly<Record<string, number>>): number {
  const tokens = source.match(/\d+|[A-Za-z_]\w*|[-+*/()]|\S/g) ?? []
  let pos = 0
  const peek = (): string | undefined => tokens[pos]
  const fail = (why: string): never => {
    throw new Error(`bad expression "${source}": ${why}`)
  }
  const primary = (): number => {
    const tok = tokens[pos++]
    if (tok === undefined) return fail('unexpected end')
    if (tok === '(') {
      const v = sum()
      if (tokens[pos++] !== ')') fail('missing )')
      return v
    }
    if (tok === '-') return -primary()
    if (/^\d+$/.test(tok)) return Number(tok)
    const v = vars[tok]
    if (v === undefined) return fail(`unknown name "${tok}"`)
    return v
  }
  const product = (): number => {
    let v = primary()
    for (let op = peek(); op === '*' || op === '/'; op = peek()) {
      pos++
      const r = primary()
      if (op === '/' && r === 0) fail('division by zero')
      v = op === '*' ? v * r : Math.trunc(v / r)
    }
    return v
  }
  const sum = (): number => {
    let v = product()
    for (let op = peek(); op === '+' || op === '-'; op = peek()) {
      pos++
      const r = product()
      v = op === '+' ? v + r : v - r
    }
    return v
  }
  const v = sum()
  if (pos !== tokens.length) fail(`unexpected "${tokens[pos]}"`)
  return v
}

/** Replaces every `${expr}` in `text`. */
export function interpolate(text: string, vars: Readonly<Record<string, number>>): string {
  return text.replace(/\$\{([^}]*)\}/g, (_, expr: string) => String(evalExpr(expr, vars)))
}
