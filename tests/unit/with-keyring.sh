#!/bin/sh
# Runs a command inside a private D-Bus session with a throwaway, unlocked gnome-keyring Secret Service,
# so that the keychain backend of the secret store is tested against a real keychain (CI has none).
# Usage: with-keyring.sh COMMAND [ARGS...]
set -eu
home=$(mktemp -d "${TMPDIR:-/tmp}/hubsync-keyring.XXXXXX")
trap 'rm -rf "$home"' EXIT
export HOME="$home" XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" XDG_RUNTIME_DIR="$home/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
exec dbus-run-session -- sh -c '
    # The password creates and unlocks the "login" keyring (the default collection) of this throwaway home.
    printf "hubsync-test" | gnome-keyring-daemon --unlock --components=secrets --daemonize >/dev/null
    HUBSYNC_REQUIRE_KEYCHAIN=1 exec "$@"' with-keyring "$@"
