// Placeholder replaced below.
import type { CheckResult } from './types.js'
export async function runRealChecks(_o: unknown): Promise<CheckResult[]> { return [] }
