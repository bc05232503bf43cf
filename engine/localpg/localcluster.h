#pragma once

#include "core/errors.h"

#include <QString>
#include <QStringList>

namespace hubsync {

// An app-managed PostgreSQL cluster built from the system's PostgreSQL server binaries (initdb, pg_ctl).
// It listens only on a private Unix socket directory (listen_addresses=''), so its port never clashes
// with another server. initdb refuses to run as root; as root the cluster is owned by the 'postgres'
// account and every server command runs through `runuser -u postgres --`.
class LocalCluster final {
public:
    struct Options {
        QString directory;          // holds data/, the socket dir and server.log
        QStringList serverSettings; // extra "name=value" server settings (tests turn fsync off)
        bool stopOnDestruction = true;
    };

    explicit LocalCluster(Options options);
    ~LocalCluster();
    Q_DISABLE_COPY_MOVE(LocalCluster)

    // initdb when the directory holds no cluster yet, then pg_ctl start (or adopt a server that is
    // already running on this directory). Idempotent.
    Error start();
    Error stop();
    [[nodiscard]] bool isRunning() const;
    // A cheap isRunning() for a watchdog: the process postmaster.pid names still exists (no pg_ctl run;
    // falls back to isRunning() where processes cannot be probed).
    [[nodiscard]] bool serverAlive() const;
    // The server's process id from postmaster.pid (0 when there is none).
    [[nodiscard]] qint64 serverPid() const;
    // Whether the cluster's files are there (initdb ran and nothing removed them since).
    [[nodiscard]] bool exists() const;

    // libpq conninfo for a database of this cluster.
    [[nodiscard]] QString conninfo(const QString &database = QStringLiteral("postgres")) const;
    // Creates the database if missing.
    Error ensureDatabase(const QString &database);

    [[nodiscard]] QString socketDirectory() const { return m_socketDir; }
    [[nodiscard]] QString dataDirectory() const { return m_dataDir; }
    [[nodiscard]] QString logFile() const { return m_logFile; }
    static constexpr int port = 5432;
    static constexpr const char *superuser = "hubsync";

    // The directory with initdb and pg_ctl: $HUBSYNC_PG_BINDIR, `pg_config --bindir`, the newest
    // /usr/lib/postgresql/*/bin, or PATH. Empty when none is found.
    static QString findServerBinaries();

private:
    Error runTool(const QString &tool, const QStringList &arguments, int timeoutMs, QString *output = nullptr) const;
    Error prepareDirectories();

    Options m_options;
    QString m_binDir;
    QString m_dataDir;
    QString m_socketDir;
    QString m_logFile;
    bool m_asRoot = false;
    bool m_startedByUs = false;
};

} // namespace hubsync
