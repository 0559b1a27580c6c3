#!/usr/bin/env bash
# Re-captures the sample bundles in samples/ (see samples/README.md).
# Each capture uses a fresh GOCACHE, GOTOOLCHAIN=local and a low perf
# frequency so the bundles stay a few MB. Usage: scripts/make-samples.sh [name...]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
gbp() { node "$root/src/cli/gbp.mjs" "$@"; }
export GOTOOLCHAIN=local
go126=/usr/local/go/bin/go
go119=/usr/lib/go-1.19/bin/go

capture() { # name dir expected-rc -- command...
  local name=$1 dir=$2 want=$3
  shift 4
  local cache
  cache=$(mktemp -d)
  echo "== $name: (cd ${dir#$root/} && $*)" >&2
  set +e
  (cd "$dir" && GOCACHE=$cache gbp capture -o "$root/samples/$name.gbp.tgz" --perf on --perf-freq 199 -- "$@")
  local rc=$?
  set -e
  rm -rf "$cache"
  [ "$rc" = "$want" ] || { echo "$name: gbp capture exited $rc, expected $want" >&2; exit 1; }
}

names=("$@")
sel() { [ ${#names[@]} -eq 0 ] || [[ " ${names[*]} " == *" $1 "* ]]; }

sel nethttp && capture nethttp "$root" 0 -- "$go126" build -a net/http
sel cgomod && capture cgomod "$root/samples/src/cgomod" 0 -- "$go126" build ./...
if sel cgomod-regressed; then # cgomod one commit later, with a regression (see the script)
  regressed=$(mktemp -d)
  samples/src/make-regressed.sh "$regressed/cgomod"
  capture cgomod-regressed "$regressed/cgomod" 0 -- "$go126" build ./...
  rm -rf "$regressed"
fi
sel broken && capture broken "$root/samples/src/broken" 1 -- "$go126" build ./...
sel nethttp-go119 && capture nethttp-go119 "$root" 0 -- "$go119" build -a net/http
ls -l "$root"/samples/*.gbp.tgz
