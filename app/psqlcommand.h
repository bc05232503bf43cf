#pragma once

#include <QStringList>

namespace hubsync {

struct Config;

// `hubsync psql [--data-dir DIR | --database DSN] [psql arguments...]`: opens psql on HubSync's database,
// whatever state it is in. The embedded cluster is started when it is not running, and stopped again when
// psql exits if this command started it; with --database (or HUBSYNC_DATABASE) psql connects there.
// Everything after HubSync's own options goes to psql unchanged. Returns psql's exit code (2 when HubSync
// cannot open the database, 127 when no psql is installed).
int runPsql(const QStringList &arguments, const QStringList &environment);

// The command a user can paste to query the data: `<this program> psql [--data-dir DIR] -c '<sql>'` for
// the embedded database, plain psql with the conninfo for another one.
QString psqlCommandLine(const Config &config, const QString &conninfo, const QString &sql);

} // namespace hubsync
