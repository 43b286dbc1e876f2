// The emulated runtime bootstrap (bootstrap.sh beside this file): every run of a wrapper, a function or
// a probe starts with it, as Lambda's managed runtimes start with theirs.
import { join } from 'node:path'
import { packageRoot } from '../package-root.js'

/** The host path of bootstrap.sh, to copy into a Lambda tree's /var/runtime. */
export const bootstrapScript = (): string => join(packageRoot(), 'src/sandbox/bootstrap.sh')
