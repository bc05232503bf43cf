#!/bin/sh
# Installs the Debian 12 packages HubSync needs to build, test and run.
# Idempotent: apt-get only installs what is missing. Runs as root, or through sudo when available.
set -eu

PACKAGES="
  cmake ninja-build g++ ccache pkg-config git time curl openssl
  qt6-base-dev qt6-base-dev-tools libqt6sql6-psql qt6-httpserver-dev qt6-websockets-dev qt6-networkauth-dev
  qtkeychain-qt6-dev libpq-dev libssl-dev libpg-query-dev
  postgresql-15 postgresql-client-15 postgresql-contrib
  xvfb xauth libxcb1-dev fonts-dejavu-core clang libclang-rt-14-dev
  desktop-file-utils appstream debootstrap
  python3 python3-psycopg2 python3-psycopg default-jdk-headless libpostgresql-jdbc-java
  dbus-daemon gnome-keyring libsecret-1-0
"
# Only for the proxy's client-compatibility tests (tests/proxy/clients): more real client drivers - asyncpg,
# Go's pgx v4 and lib/pq (sources built offline by `go run` in GOPATH mode), Perl DBD::Pg, Ruby pg, PHP PDO
# pgsql and libpqxx.
PACKAGES="$PACKAGES
  python3-asyncpg golang-go golang-github-jackc-pgx-v4-dev golang-github-lib-pq-dev
  libdbd-pg-perl ruby-pg php-cli php-pgsql libpqxx-dev
"

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "install-deps: must run as root (or have sudo) to install Debian packages" >&2
    exit 1
fi

# Do not let the package create and start a system-wide cluster we never use: tests and the app
# manage their own clusters. Only honoured when postgresql-common is installed for the first time.
if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    $SUDO mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.conf >/dev/null
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# Node.js and npm are only needed by the proxy's client-compatibility tests (the build installs the `pg`
# module into the build tree with npm); keep a Node.js that is already installed (one with a bundled npm
# conflicts with Debian's npm package).
if ! command -v node >/dev/null 2>&1; then
    PACKAGES="$PACKAGES nodejs npm"
elif ! command -v npm >/dev/null 2>&1; then
    PACKAGES="$PACKAGES npm"
fi
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $PACKAGES
