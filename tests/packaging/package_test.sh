#!/bin/sh
# Packaging test (ctest label 'slow'): builds the .deb with CPack from a build directory, installs it
# into a clean Debian 12 (bookworm) root made with debootstrap, and runs HubSync there:
#   hubsync --version
#   hubsync --service --sandbox --backfill-only --data-dir /tmp/hs            (as root: cluster as 'postgres')
#   the same as the 'hubsync' service account with the packaged config example (what the unit does)
#   reinstall (the upgrade path: postinst, migrations re-run on existing data), purge (data kept)
#
# usage: package_test.sh BUILD_DIR
# Needs root and debootstrap (exit 77 = skipped otherwise) and the targets hubsync and githubsim built.
# The Debian mirror is the one this machine's APT uses (/etc/apt/sources.list{,.d}); nothing else is
# contacted. The debootstrap root and downloaded .debs are cached in $HUBSYNC_PACKAGING_ROOT
# (default BUILD_DIR/packaging-root) and reused; every run installs into a fresh copy of that root.
set -eu

SKIP=77
say() { printf 'package_test: %s\n' "$*"; }
fail() { printf 'package_test: FAIL: %s\n' "$*" >&2; exit 1; }

[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
BUILD_DIR=$(cd "$1" && pwd -P)
CACHE=${HUBSYNC_PACKAGING_ROOT:-$BUILD_DIR/packaging-root}

if [ "$(id -u)" -ne 0 ]; then
    say "SKIP: needs root (debootstrap and chroot)"; exit $SKIP
fi
if ! command -v debootstrap >/dev/null 2>&1; then
    say "SKIP: debootstrap is not installed (apt-get install debootstrap; installer/install-deps.sh does)"
    exit $SKIP
fi
command -v cpack >/dev/null 2>&1 || fail "cpack not found"
for exe in hubsync githubsim; do
    [ -x "$BUILD_DIR/bin/$exe" ] || fail "$BUILD_DIR/bin/$exe missing: cmake --build $BUILD_DIR --target hubsync githubsim"
done

# Canonical (no symlinks): cleanup compares it with /proc/PID/root.
CACHE=$(mkdir -p "$CACHE" && cd "$CACHE" && pwd -P)
START=$(date +%s)
elapsed() { echo "$(( $(date +%s) - START )) s"; }

# --- 1. The package -------------------------------------------------------------------------------
OUT="$CACHE/out"
rm -rf "$OUT"
mkdir -p "$OUT"
say "cpack -G DEB ($BUILD_DIR)"
(cd "$BUILD_DIR" && cpack -G DEB -B "$OUT" >"$OUT/cpack.log" 2>&1) || { cat "$OUT/cpack.log" >&2; fail "cpack"; }
DEB=$(find "$OUT" -maxdepth 1 -name 'hubsync_*.deb' | head -n 1)
[ -n "$DEB" ] || fail "cpack produced no hubsync_*.deb (see $OUT/cpack.log)"
say "built $(basename "$DEB") ($(du -k "$DEB" | cut -f1) KiB)"
DEPENDS=$(dpkg-deb -f "$DEB" Depends)
say "Depends: $DEPENDS"

# The declared Depends must cover every shared library the binaries need (dpkg-shlibdeps' view).
if command -v dpkg-shlibdeps >/dev/null 2>&1; then
    x="$OUT/extract"
    mkdir -p "$x/debian"
    dpkg-deb -x "$DEB" "$x"
    printf 'Source: hubsync\n\nPackage: hubsync\nArchitecture: any\n' >"$x/debian/control"
    shl=$(cd "$x" && dpkg-shlibdeps -O usr/bin/hubsync usr/bin/githubsim 2>/dev/null | sed 's/^shlibs:Depends=//')
    declared=$(printf '%s\n' "$DEPENDS" | tr ',|' '\n' | sed 's/(.*//; s/ //g' | sort -u)
    for pkg in $(printf '%s\n' "$shl" | tr ',' '\n' | sed 's/(.*//; s/ //g' | sort -u); do
        printf '%s\n' "$declared" | grep -qx "$pkg" || fail "Depends lacks $pkg (dpkg-shlibdeps: $shl)"
    done
    say "Depends covers dpkg-shlibdeps: $shl"
    # The unit file, as systemd would read it (ExecStart pointed at the extracted binary).
    if command -v systemd-analyze >/dev/null 2>&1; then
        mkdir -p "$x/units"
        sed "s|ExecStart=/usr/bin/hubsync|ExecStart=$x/usr/bin/hubsync|" \
            "$x/usr/lib/systemd/system/hubsync@.service" >"$x/units/hubsync@.service"
        ln -s hubsync@.service "$x/units/hubsync@test.service"
        if ! msg=$(systemd-analyze verify "$x/units/hubsync@test.service" 2>&1) || [ -n "$msg" ]; then
            printf '%s\n' "$msg" >&2; fail "systemd-analyze verify hubsync@.service"
        fi
        say "systemd-analyze verify hubsync@.service: clean"
    fi
    rm -rf "$x"
fi

# --- 2. The Debian archive this machine uses --------------------------------------------------------
# Prints "URI SUITE" for every enabled 'deb' source of a bookworm* suite, from both source formats.
apt_sources() {
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        sed 's/#.*//' "$f" | awk '$1 == "deb" {
            i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
            if ($(i+1) ~ /^bookworm/) print $i, $(i+1) }'
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk 'function flush() {
                 if (types ~ /(^| )deb( |$)/ && enabled !~ /^(no|false)$/ && uris != "")
                     { n = split(uris, u, " "); m = split(suites, s, " ");
                       for (j = 1; j <= m; j++) if (s[j] ~ /^bookworm/) print u[1], s[j] }
                 types = uris = suites = enabled = "" }
             /^[ \t]*#/ { next }
             /^[ \t]*$/ { flush(); next }
             { key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, "")
               if (key == "types") types = $0; else if (key == "uris") uris = $0;
               else if (key == "suites") suites = $0; else if (key == "enabled") enabled = tolower($0) }
             END { flush() }' "$f"
    done
}
SOURCES=$(apt_sources | sort -u)
MIRROR=$(printf '%s\n' "$SOURCES" | awk '$2 == "bookworm" { print $1; exit }')
[ -n "$MIRROR" ] || fail "no enabled 'deb ... bookworm' source in /etc/apt/sources.list{,.d}; cannot choose a mirror"
say "mirror: $MIRROR"

# --- 3. The cached Debian 12 base root -----------------------------------------------------------------
BASE="$CACHE/base"
ARCHIVES="$CACHE/apt-archives"
mkdir -p "$ARCHIVES/partial"
if [ ! -f "$BASE/.hubsync-base-complete" ]; then
    rm -rf "$BASE" "$BASE.tmp"
    say "debootstrap --variant=minbase bookworm (cold cache; a few minutes)"
    debootstrap --variant=minbase --cache-dir="$ARCHIVES" bookworm "$BASE.tmp" "$MIRROR" \
        >"$CACHE/debootstrap.log" 2>&1 || { tail -n 30 "$CACHE/debootstrap.log" >&2; fail "debootstrap"; }
    printf '%s\n' "$SOURCES" | awk '{ print "deb", $1, $2, "main" }' >"$BASE.tmp/etc/apt/sources.list"
    # Nothing a package installs may start a daemon in this root.
    printf '#!/bin/sh\nexit 101\n' >"$BASE.tmp/usr/sbin/policy-rc.d"
    chmod 0755 "$BASE.tmp/usr/sbin/policy-rc.d"
    rm -f "$BASE.tmp"/var/cache/apt/archives/*.deb
    touch "$BASE.tmp/.hubsync-base-complete"
    mv "$BASE.tmp" "$BASE"
    say "base root ready ($(elapsed))"
else
    say "reusing the base root $BASE"
fi

# --- 4. A fresh root for this run ---------------------------------------------------------------------
ROOT="$CACHE/run"
MOUNTS=""
cleanup() {
    status=$?
    if [ -d "$ROOT" ]; then
        # Processes left inside the root (a postmaster after a failed run): only those whose root is $ROOT.
        for p in /proc/[0-9]*; do
            if [ "$(readlink "$p/root" 2>/dev/null)" = "$ROOT" ]; then kill -9 "${p#/proc/}" 2>/dev/null || true; fi
        done
        for m in $MOUNTS; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
        if grep -q " $ROOT/" /proc/mounts; then
            echo "package_test: $ROOT still has mounts; leaving it in place" >&2
        else
            rm -rf "$ROOT"
        fi
    fi
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -d "$ROOT" ]; then
    grep -q " $ROOT/" /proc/mounts && fail "$ROOT has mounts from an earlier run; umount them first"
    rm -rf "$ROOT"
fi
cp -a "$BASE" "$ROOT"
mount -t proc proc "$ROOT/proc" && MOUNTS="$ROOT/proc $MOUNTS"
mount -t tmpfs -o mode=1777 shm "$ROOT/dev/shm" && MOUNTS="$ROOT/dev/shm $MOUNTS"
mount --bind "$ARCHIVES" "$ROOT/var/cache/apt/archives" && MOUNTS="$ROOT/var/cache/apt/archives $MOUNTS"
cp "$DEB" "$ROOT/tmp/hubsync.deb"

in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
                DEBIAN_FRONTEND=noninteractive "$@"; }

# Refresh the package lists when the cached ones are older than a day (or were never fetched).
if [ -z "$(find "$BASE/.hubsync-lists-updated" -mmin -1440 2>/dev/null)" ]; then
    say "apt-get update"
    in_root apt-get update -q >"$CACHE/apt-update.log" 2>&1 || { tail -n 20 "$CACHE/apt-update.log" >&2; fail "apt-get update"; }
    rm -rf "$BASE/var/lib/apt/lists" && cp -a "$ROOT/var/lib/apt/lists" "$BASE/var/lib/apt/lists"
    touch "$BASE/.hubsync-lists-updated"
fi

say "apt-get install --no-install-recommends /tmp/hubsync.deb"
in_root apt-get install -y -q --no-install-recommends /tmp/hubsync.deb >"$CACHE/apt-install.log" 2>&1 ||
    { tail -n 40 "$CACHE/apt-install.log" >&2; fail "apt-get install of the .deb"; }
say "installed ($(elapsed)): $(grep -c '^Setting up' "$CACHE/apt-install.log") packages set up"

# --- 5. Checks inside the root ----------------------------------------------------------------------
missing=$(in_root sh -c 'ldd /usr/bin/hubsync /usr/bin/githubsim' | grep 'not found' || true)
[ -z "$missing" ] || fail "unresolved libraries in the clean root: $missing"
for f in /usr/bin/githubsim /usr/lib/systemd/system/hubsync@.service /usr/share/hubsync/hubsync.conf.example \
         /usr/share/applications/io.github.hubsync.HubSync.desktop /usr/share/metainfo/io.github.hubsync.HubSync.metainfo.xml \
         /usr/share/icons/hicolor/256x256/apps/io.github.hubsync.HubSync.png \
         /usr/share/icons/hicolor/scalable/apps/io.github.hubsync.HubSync.svg; do
    [ -e "$ROOT$f" ] || fail "$f not installed"
done
in_root getent passwd hubsync >/dev/null || fail "postinst did not create the hubsync account"
[ -d "$ROOT/etc/hubsync" ] || fail "postinst did not create /etc/hubsync"

version=$(in_root hubsync --version) || fail "hubsync --version exited $?"
say "hubsync --version: $version"
expected=$(dpkg-deb -f "$DEB" Version)
case "$version" in *"$expected"*) ;; *) fail "--version '$version' does not name $expected" ;; esac

# $1 = log name, rest = command inside the root. Expects exit 0 and the completion line.
backfill() {
    name=$1; shift
    t0=$(date +%s)
    rc=0
    in_root timeout 600 "$@" >"$CACHE/$name.log" 2>&1 || rc=$?
    if [ $rc -ne 0 ] || ! grep -q 'backfill complete' "$CACHE/$name.log"; then
        tail -n 40 "$CACHE/$name.log" >&2
        fail "$name: exit $rc, $(grep -c 'backfill complete' "$CACHE/$name.log") 'backfill complete' lines"
    fi
    say "$name: $(grep 'backfill complete' "$CACHE/$name.log" | tail -n 1 | sed 's/^.*backfill complete/backfill complete/') ($(( $(date +%s) - t0 )) s)"
}

# As root: the embedded cluster's initdb/pg_ctl run as 'postgres' (runuser).
backfill sandbox-root hubsync --service --sandbox --backfill-only --data-dir /tmp/hs
# As the service account with the packaged config example, as hubsync@.service runs it.
in_root install -d -o hubsync -g hubsync -m 0750 /var/lib/hubsync/test
in_root cp /usr/share/hubsync/hubsync.conf.example /etc/hubsync/test.conf
backfill sandbox-service runuser -u hubsync -- hubsync --service --sandbox --backfill-only \
    --config /etc/hubsync/test.conf --data-dir /var/lib/hubsync/test

# Upgrade path: reinstalling runs postinst configure with the old version; the next start re-runs
# the migrations on the existing database.
in_root dpkg -i /tmp/hubsync.deb >"$CACHE/dpkg-reinstall.log" 2>&1 || { cat "$CACHE/dpkg-reinstall.log" >&2; fail "dpkg -i (reinstall)"; }
backfill sandbox-service-again runuser -u hubsync -- hubsync --service --sandbox --backfill-only \
    --config /etc/hubsync/test.conf --data-dir /var/lib/hubsync/test

# Uninstall: purge removes the program, keeps the data and the administrator's files.
in_root dpkg --purge hubsync >"$CACHE/dpkg-purge.log" 2>&1 || { cat "$CACHE/dpkg-purge.log" >&2; fail "dpkg --purge"; }
[ ! -e "$ROOT/usr/bin/hubsync" ] || fail "purge left /usr/bin/hubsync"
[ -f "$ROOT/var/lib/hubsync/test/postgres/data/PG_VERSION" ] || fail "purge removed the data in /var/lib/hubsync/test"
[ -f "$ROOT/etc/hubsync/test.conf" ] || fail "purge removed /etc/hubsync/test.conf"

say "PASS ($(elapsed))"
