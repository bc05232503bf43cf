#pragma once

#include "core/errors.h"

#include <QString>
#include <QStringList>

#include <optional>

namespace hubsync {

// An app-managed PostgreSQL cluster built from the system's PostgreSQL server binaries (initdb, pg_ctl).
// By default it listens only on a private Unix socket directory (listen_addresses=''), so its port never
// clashes with another server. Where there are no Unix sockets (Windows), or when asked, it listens on TCP
// 127.0.0.1 only, on a port chosen once and kept in the cluster's directory, and every connection needs
// the superuser's password (SCRAM-SHA-256; the caller keeps the password, see storedPassword()). The
// transport is fixed when the cluster is created. initdb refuses to run as root; as root the cluster is
// owned by the 'postgres' account and every server command runs through `runuser -u postgres --`.
class LocalCluster final {
public:
    struct Options {
        QString directory;          // holds data/, the socket dir and server.log
        QStringList serverSettings; // extra "name=value" server settings (tests turn fsync off)
        bool stopOnDestruction = true;
        bool tcp = false;    // TCP on 127.0.0.1 with a password instead of a Unix socket
        QByteArray password; // tcp: the superuser's password (set at initdb, sent by conninfo())
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

    // Where clients connect: the socket directory, or "127.0.0.1:<port>" over TCP.
    [[nodiscard]] QString address() const;
    [[nodiscard]] QString socketDirectory() const { return m_socketDir; }
    [[nodiscard]] QString dataDirectory() const { return m_dataDir; }
    [[nodiscard]] QString logFile() const { return m_logFile; }
    static constexpr int port = 5432;
    static constexpr const char *superuser = "hubsync";

    // The directory with initdb and pg_ctl: $HUBSYNC_PG_BINDIR, `pg_config --bindir`, the newest
    // /usr/lib/postgresql/*/bin, or PATH. Empty when none is found.
    static QString findServerBinaries();

    // The superuser password of the TCP cluster in `directory`, from the user's secret store (the OS keychain,
    // else the encrypted file in `directory`); with `create`, a new random one is stored when there is none.
    // Never logged.
    static Error storedPassword(const QString &directory, bool create, QByteArray *password);
    // Whether the cluster in `directory` was created for TCP (std::nullopt: there is none yet).
    static std::optional<bool> createdForTcp(const QString &directory);

private:
    Error runTool(const QString &tool, const QStringList &arguments, int timeoutMs, QString *output = nullptr) const;
    Error prepareDirectories();
    Error initdb();
    Error checkTransport() const;
    int tcpPort(bool fresh, bool choose = true);

    Options m_options;
    QString m_binDir;
    QString m_dataDir;
    QString m_socketDir;
    QString m_logFile;
    bool m_asRoot = false;
    int m_port = port; // tcp: the port chosen for this cluster
    bool m_startedByUs = false;
};

} // namespace hubsync
