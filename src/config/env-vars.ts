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

/**
 * Variables the shells that run the wrapper (dash, bash as sh, busybox ash, mksh) own. Each was checked
 * with `export NAME=value; exec env` and `unset NAME` under all four (docs/reliability.md): a readonly
 * one stops the wrapper before its exec whatever failMode says (bash: UID; mksh: KSH_VERSION), a dynamic
 * one is replaced by the shell's own value on its way to the function (RANDOM, LINENO), and some
 * refuse `unset` (dash: OPTIND). The reason names the shell and what it does.
 */
export const SHELL_SPECIAL: Readonly<Record<string, string>> = {
  UID: 'readonly in bash: setting it stops the wrapper',
  EUID: 'readonly in bash: setting it stops the wrapper',
  PPID: 'readonly in bash (setting it stops the wrapper); mksh replaces it',
  SHELLOPTS: 'readonly in bash: setting it stops the wrapper',
  BASHOPTS: 'readonly in bash: setting it stops the wrapper',
  BASH_VERSINFO: 'readonly in bash: setting it stops the wrapper',
  KSH_VERSION: 'readonly in mksh: setting it stops the wrapper',
  USER_ID: 'mksh replaces it with the user id',
  KSHUID: 'mksh replaces it with the user id',
  KSHGID: 'mksh replaces it with the group id',
  KSHEGID: 'mksh replaces it with the group id',
  PGRP: 'mksh replaces it with the process group',
  LINENO: 'the shells keep the line number in it (mksh: setting it stops the wrapper)',
  OPTIND: 'getopts state: dash stops the wrapper on a value that is not a number, and refuses unset',
  SECONDS: 'bash and mksh replace it with the seconds since the shell started',
  TMOUT: 'mksh refuses to export or unset it',
  COLUMNS: 'mksh replaces it (80) and refuses unset',
  LINES: 'mksh replaces it (24) and refuses unset',
  HISTSIZE: 'mksh stops the wrapper when it is set',
  SHLVL: 'bash replaces it when it execs',
  RANDOM: 'bash and mksh replace it with a random number',
  SRANDOM: 'bash replaces it with a random number',
  EPOCHSECONDS: 'bash replaces it with the time',
  EPOCHREALTIME: 'bash replaces it with the time',
  BASH_MONOSECONDS: 'bash 5.3 replaces it with a clock',
  BASH_TRAPSIG: 'bash 5.3 keeps the signal being trapped in it',
  BASHPID: 'bash and mksh replace it with the process id',
  BASH_ARGV: 'an array bash keeps: it never reaches the function',
  BASH_ARGC: 'an array bash keeps: it never reaches the function',
  BASH_SOURCE: 'an array bash keeps: it never reaches the function',
  BASH_LINENO: 'an array bash keeps: it never reaches the function',
  BASH_COMMAND: 'bash replaces it with the command being run',
  BASH_SUBSHELL: 'bash replaces it with the subshell depth',
  BASH_CMDS: 'an array bash keeps: it never reaches the function',
  BASH_ALIASES: 'an array bash keeps: it never reaches the function',
  FUNCNAME: 'an array bash keeps: it never reaches the function',
  GROUPS: 'an array bash keeps: it never reaches the function',
  DIRSTACK: 'an array bash keeps: it never reaches the function',
  HISTCMD: 'bash replaces it with the history number',
  PIPESTATUS: 'mksh replaces it with the last exit statuses',
  _: 'the shells keep the last argument of the previous command in it',
}

/**
 * Set by every shell at start, but kept as set: a value reaches the function. Warned about, because
 * it does not move the function's working folder and only misleads code that reads it.
 */
export const SHELL_MAINTAINED: Readonly<Record<string, string>> = {
  PWD: 'the shell sets PWD to its working folder; a configured value reaches the function but does not change its working folder',
  OLDPWD: 'cd keeps OLDPWD; a configured value only misleads code that reads it',
}

/** Linux limits that `exec` enforces: one argument or NAME=value string (MAX_ARG_STRLEN, 32 pages). */
export const MAX_ARG_STRLEN = 32 * 4096
/**
 * What wrapgen lets a config add to argv and the environment in total: half of the usual ARG_MAX
 * (a quarter of an 8 MiB stack), leaving the other half for Lambda's own variables and command.
 */
export const MAX_ADDED_BYTES = 1024 * 1024
