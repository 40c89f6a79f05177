#!/usr/bin/env bash
# Builds the FerretDB test server (test/ferretdb, an embedded FerretDB v1.24.2 with its SQLite and
# PostgreSQL handlers) into .cache/ferretdb/ferretdb-v1.24.2, which test/mongo-target.ts starts for the tests.
#
# Idempotent: does nothing when the binary is newer than test/ferretdb/main.go, go.mod and go.sum.
# Needs Go >= 1.24 and the Go module proxy (or a filled module cache); no other network access.
# A cold build (empty module and build caches) takes about a minute; a warm one under a second.
#
# --optional: without Go, say so and exit 0 (npm test then falls back to MONGODB_URI or to
# mongodb-memory-server-core, a real mongod downloaded on first use).
set -euo pipefail
optional=0
[[ "${1:-}" == "--optional" ]] && optional=1

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/test/ferretdb"
out="$root/.cache/ferretdb/ferretdb-v1.24.2"

up_to_date=1
if [[ ! -x "$out" ]]; then
  up_to_date=0
else
  for f in "$src/main.go" "$src/go.mod" "$src/go.sum"; do
    if [[ ! "$out" -nt "$f" ]]; then
      up_to_date=0
    fi
  done
fi
if [[ "$up_to_date" == 1 ]]; then
  echo "ferretdb: $out is up to date"
  exit 0
fi

go_bin="$(command -v go || true)"
if [[ -z "$go_bin" && -x /usr/local/go/bin/go ]]; then
  go_bin=/usr/local/go/bin/go
fi
if [[ -z "$go_bin" && "$optional" == 1 ]]; then
  echo "ferretdb: no Go toolchain; the MongoDB tests will use MONGODB_URI or mongodb-memory-server."
  exit 0
fi
if [[ -z "$go_bin" ]]; then
  echo "ferretdb: no Go toolchain found (not in PATH, not at /usr/local/go/bin/go)." >&2
  echo "ferretdb: install Go >= 1.24 (https://go.dev/dl/), or point the tests at a running" >&2
  echo "ferretdb: MongoDB-compatible server with MONGODB_URI=mongodb://HOST:PORT/." >&2
  exit 1
fi

mkdir -p "$(dirname "$out")"
echo "ferretdb: building $out with $("$go_bin" version)"
start=$SECONDS
# go.mod says `go 1.24` and has no toolchain line: Go >= 1.24 builds it as is. An older Go either
# fetches go1.24 through the module proxy (GOTOOLCHAIN=auto, Go's default) or stops with
# "go.mod requires go >= 1.24" (GOTOOLCHAIN=local, as /usr/local/go/go.env sets on these machines).
# CGO_ENABLED=0: FerretDB's SQLite is modernc.org/sqlite (pure Go), so no C compiler is needed.
# -mod=readonly: go.sum must already list every module (a stale go.sum fails instead of changing).
# -buildvcs=false: the binary does not depend on the state of the git work tree.
# -trimpath keeps local paths out of the binary; the temporary file keeps a failed build from
# leaving a half-written binary that a later run would take for up to date.
(
  cd "$src"
  CGO_ENABLED=0 "$go_bin" build -mod=readonly -buildvcs=false -trimpath -o "$out.tmp" .
)
mv -f "$out.tmp" "$out"
echo "ferretdb: built in $((SECONDS - start)) s ($(du -h "$out" | cut -f1))"
