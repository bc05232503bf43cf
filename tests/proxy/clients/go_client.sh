#!/bin/sh
# Builds and runs one of the Go client scripts (go_pgx_client.go, go_pq_client.go), offline, against the Go
# sources Debian installs under /usr/share/gocode (golang-github-jackc-pgx-v4-dev, golang-github-lib-pq-dev):
# GOPATH mode (GO111MODULE=off), so that imports resolve in $GOPATH/src without go.mod, go.sum or a module
# proxy. The build cache goes under $TMPDIR (the first run compiles the drivers, later runs reuse it). `go
# build` and then the binary rather than `go run`, which turns every non-zero exit status into 1.
#
# Usage: sh go_client.sh go_pgx_client.go|go_pq_client.go writethrough DSN ISSUE_ID REPO_ID
# A bare file name is looked up next to this script. HUBSYNC_GOPATH replaces /usr/share/gocode (for instance
# with DIR:/usr/share/gocode to add sources of one's own).
set -eu

if [ $# -lt 1 ]; then
    echo "usage: go_client.sh FILE.go writethrough DSN ISSUE_ID REPO_ID"
    exit 2
fi
file=$1
shift
case $file in
*/*) ;;
*) file=$(dirname "$0")/$file ;;
esac

GO111MODULE=off
GOPATH=${HUBSYNC_GOPATH:-/usr/share/gocode}
GOCACHE=${TMPDIR:-/tmp}/hubsync-go-cache
GOPROXY=off
GOFLAGS=
export GO111MODULE GOPATH GOCACHE GOPROXY GOFLAGS
dir=$(mktemp -d "${TMPDIR:-/tmp}/hubsync-go-client.XXXXXX")
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/client" "$file"
status=0
"$dir/client" "$@" || status=$?
exit "$status"
