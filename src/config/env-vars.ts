// What Lambda and the runtimes make of particular environment variables.

/** Variables whose entries are separated by a space rather than `:`. */
const SPACE_SEPARATED = new Set(['NODE_OPTIONS', 'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS', 'RUBYOPT'])

/** The separator `prepend`/`append` use for a variable: a space for option strings, else `:`. */
export function separatorFor(name: string): string {
  return SPACE_SEPARATED.has(name) ? ' ' : ':'
}

/** Variables Lambda reserves: a function cannot set them, and a wrapper that changes them misleads the runtime. */
const RESERVED = [
  '_HANDLER', '_X_AMZN_TRACE_ID', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN', 'AWS_LAMBDA_RUNTIME_API', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR',
]
const RESERVED_PREFIXES = ['AWS_LAMBDA_FUNCTION_', 'AWS_LAMBDA_LOG_']

export function isReserved(name: string): boolean {
  return RESERVED.includes(name) || RESERVED_PREFIXES.some((p) => name.startsWith(p))
}

/** POSIX-portable variable names: the wrapper's `export` accepts nothing else. */
export const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** Variables the wrapper itself reads; configs must not change them. */
export const WRAPGEN_VARS = ['WRAPGEN_DISABLE', 'WRAPGEN_APPLIED']
