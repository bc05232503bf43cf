#!/bin/sh
# Builds HubSync and runs the whole test suite against a throwaway PostgreSQL cluster, the GUI tests
# under Xvfb. Usage: tests/run-all.sh [preset]   (preset: ci (default), dev, asan-ubsan)
# Extra ctest arguments can be passed in CTEST_ARGS, e.g. CTEST_ARGS="-L unit".
set -eu

cd "$(dirname "$0")/.."
PRESET="${1:-ci}"
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"

if command -v ccache >/dev/null 2>&1; then
    export CMAKE_CXX_COMPILER_LAUNCHER=ccache CCACHE_BASEDIR="$PWD"
fi
cmake --preset "$PRESET"
cmake --build --preset "$PRESET" -j "$JOBS"

# One PostgreSQL cluster for the whole run, on a private socket dir (no port can clash); every test
# case creates its own database in it. initdb refuses to run as root, so root runs it as 'postgres'.
PGBIN="$(pg_config --bindir 2>/dev/null || true)"
if [ ! -x "$PGBIN/initdb" ]; then
    PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
fi
PGTMP="$(mktemp -d /tmp/hs-ci.XXXXXX)"
chmod 755 "$PGTMP"
if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PGTMP"; AS="runuser -u postgres --"; else AS=""; fi
cleanup() {
    $AS "$PGBIN/pg_ctl" -D "$PGTMP/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$PGTMP"
}
trap cleanup EXIT INT TERM
$AS "$PGBIN/initdb" -D "$PGTMP/data" -U postgres -A trust -E UTF8 --locale=C --no-sync --no-instructions >/dev/null
$AS "$PGBIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w -t 60 \
    -o "-c listen_addresses='' -k $PGTMP -p 5432 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null
export HUBSYNC_TEST_PG_DSN="host=$PGTMP port=5432 user=postgres dbname=postgres"
export XDG_RUNTIME_DIR="$PGTMP/xdg"
mkdir -m 700 "$XDG_RUNTIME_DIR"

status=0
# shellcheck disable=SC2086
xvfb-run -a -s "-screen 0 1280x1024x24" \
    ctest --preset "$PRESET" -j "$JOBS" --output-on-failure ${CTEST_ARGS:-} || status=$?
# The libFuzzer targets (protocol codecs, webhook HTTP parser) need clang; each runs for 20 s. Skipped with
# FUZZ=0 or when clang is missing.
if [ "$status" -eq 0 ] && [ "${FUZZ:-1}" != 0 ] && command -v clang++ >/dev/null 2>&1; then
    cmake -S . -B build/fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DHUBSYNC_FUZZ=ON \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
        cmake --build build/fuzz -j "$JOBS" --target fuzz_protocol fuzz_httpparser &&
        ctest --test-dir build/fuzz -R '^fuzz_' --output-on-failure || status=$?
fi
if [ "$status" -ne 0 ]; then
    echo "--- tail of the PostgreSQL server log ---"
    tail -50 "$PGTMP/server.log" || true
fi
exit "$status"
