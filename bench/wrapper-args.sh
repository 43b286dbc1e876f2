#!/usr/bin/env bash
# Time of the generated wrapper with N arguments after the entry, under each shell (median of REPS),
# against a bare `exec "$@"`. Usage: bench/wrapper-args.sh [N] [REPS] (needs dist/: npm run prepare).
# Figures in docs/reliability.md ("The argument rebuild").
set -euo pipefail
n=${1:-10000} reps=${2:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/wrapgen-args-XXXXXX")
trap 'rm -rf "$work"' EXIT
node --input-type=module -e "
import { buildLayer } from '$root/dist/src/build.js'
import { openConfig } from '$root/dist/src/config/open.js'
import { writeFileSync } from 'node:fs'
const r = await buildLayer(await openConfig({ cwd: '$work', config: { name: 'args', node: { flags: ['--enable-source-maps'] } } }))
// exec and the family parts it sources, beside it.
for (const f of r.files) if (/^wrapgen\/exec/.test(f.path)) writeFileSync('$work/' + f.path.slice('wrapgen/'.length), f.contents, { mode: f.mode })
"
printf '#!/bin/sh\nexec "$@"\n' > "$work/bare"
printf '#!/bin/sh\nexit 0\n' > "$work/node"
chmod +x "$work/bare" "$work/node"
ln -s "$(command -v bash)" "$work/sh"
ln -s "$(command -v busybox)" "$work/ash"
args=()
for ((i = 0; i < n; i++)); do args+=("a$i"); done
for shell in "$(command -v dash)" "$work/sh" "$work/ash" "$(command -v mksh)"; do
  for script in exec bare; do
    times=()
    for ((r = 0; r < reps; r++)); do
      s=$(date +%s%N)
      "$shell" "$work/$script" "$work/node" --expose-gc --max-http-header-size 81920 --max-old-space-size=100 /var/runtime/index.mjs "${args[@]}"
      e=$(date +%s%N)
      times+=($(((e - s) / 1000)))
    done
    median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((reps + 1) / 2))p")
    printf '%-6s %-5s %7d args: %9.1f ms\n' "$(basename "$shell")" "$script" "$n" "$(bc <<< "scale=1; $median / 1000")"
  done
done
