#include "psqlcommand.h"

#include "core/config.h"
#include "core/errors.h"
#include "core/paths.h"
#include "localpg/localcluster.h"
#include "store/pg.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>

#include <algorithm>
#include <cstdio>
#include <memory>

#ifdef Q_OS_UNIX
#include <csignal>
#endif

namespace hubsync {

namespace {

void complain(const QString &message) {
    std::fputs(qPrintable(QStringLiteral("hubsync psql: %1\n").arg(message)), stderr);
}

// A shell word: left alone when it is plain, single-quoted otherwise (POSIX sh).
QString shellQuoted(const QString &word) {
    static const QString plain =
        QStringLiteral("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%");
    if (!word.isEmpty() && std::all_of(word.cbegin(), word.cend(), [](QChar c) { return plain.contains(c); }))
        return word;
    return QLatin1Char('\'') + QString(word).replace(QLatin1Char('\''), QStringLiteral("'\\''")) + QLatin1Char('\'');
}

QString findPsql() {
    const QString serverBin = LocalCluster::findServerBinaries();
    if (!serverBin.isEmpty() && QFileInfo::exists(serverBin + QStringLiteral("/psql")))
        return serverBin + QStringLiteral("/psql");
    return QStandardPaths::findExecutable(QStringLiteral("psql"));
}

} // namespace

int runPsql(const QStringList &arguments, const QStringList &environment) {
    // HubSync's own options come first; the rest is psql's.
    QStringList ours{QStringLiteral("hubsync")}, theirs;
    for (qsizetype i = 0; i < arguments.size(); ++i) {
        const QString &a = arguments[i];
        static const QStringList own{QStringLiteral("--data-dir"), QStringLiteral("--database"),
                                     QStringLiteral("--config"), QStringLiteral("--embedded-transport")};
        const bool takesValue = own.contains(a);
        const bool withValue = std::any_of(
            own.cbegin(), own.cend(), [&a](const QString &option) { return a.startsWith(option + QLatin1Char('=')); });
        if (takesValue && i + 1 < arguments.size()) {
            ours << a << arguments[++i];
        } else if (withValue) {
            ours << a;
        } else {
            theirs = arguments.mid(i);
            break;
        }
    }
    const ConfigResult loaded = loadConfig(ours, environment);
    if (loaded.error) {
        complain(loaded.error.message);
        return int(ExitCode::Usage);
    }
    const Config &config = loaded.config;
    const QString psql = findPsql();
    if (psql.isEmpty()) {
        complain(QStringLiteral("psql was not found (Debian: apt install postgresql-client)"));
        return 127;
    }

    QString password;
    // A password in --database goes to psql through its environment, not on its command line.
    QString conninfo = config.database.isEmpty() ? QString() : pg::conninfoWithoutPassword(config.database, &password);
    std::unique_ptr<LocalCluster> cluster;
    bool wasRunning = false; // a running HubSync's cluster: psql uses it and leaves it running
    if (conninfo.isEmpty()) {
        LocalCluster::Options options;
        options.directory = dataDirectory(config.dataDir) + QStringLiteral("/postgres");
        options.stopOnDestruction = false;
        // The transport the cluster was created for, whatever the default of this platform is.
        options.tcp = LocalCluster::createdForTcp(options.directory).value_or(config.embeddedTcp);
        cluster = std::make_unique<LocalCluster>(options);
        if (!cluster->exists()) {
            complain(QStringLiteral("there is no HubSync database in %1 yet: run hubsync first (e.g. hubsync "
                                    "--service --sandbox --backfill-only), or name one with --database")
                         .arg(options.directory));
            return int(ExitCode::Usage);
        }
        if (options.tcp) {
            if (Error e = LocalCluster::storedPassword(options.directory, false, &options.password)) {
                complain(e.message);
                return int(exitCodeFor(e));
            }
            cluster = std::make_unique<LocalCluster>(options);
            // To psql through its environment, not on its command line (which `ps` shows to everyone).
            password = QString::fromLatin1(options.password);
        }
        wasRunning = cluster->isRunning();
        if (Error e = cluster->start()) {
            complain(e.message);
            return int(exitCodeFor(e));
        }
        conninfo = cluster->conninfo(QStringLiteral("hubsync"));
        if (options.tcp) { // the same without the password, which psql finds in PGPASSWORD
            const DatabaseEndpoint endpoint = pg::endpointOf(conninfo);
            conninfo = QStringLiteral("host=%1 port=%2 user=%3 dbname=%4")
                           .arg(endpoint.host)
                           .arg(endpoint.port)
                           .arg(endpoint.user, endpoint.database);
        }
    }

    QProcess process;
    if (!password.isEmpty()) {
        QProcessEnvironment psqlEnvironment = QProcessEnvironment::systemEnvironment();
        psqlEnvironment.insert(QStringLiteral("PGPASSWORD"), password);
        process.setProcessEnvironment(psqlEnvironment);
    }
    process.setProcessChannelMode(QProcess::ForwardedChannels);
    process.setInputChannelMode(QProcess::ForwardedInputChannel);
#ifdef Q_OS_UNIX
    // Ctrl+C belongs to psql (it cancels the query); HubSync waits for psql to end, then stops the cluster.
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGQUIT, SIG_IGN);
    process.setChildProcessModifier([] {
        ::signal(SIGINT, SIG_DFL);
        ::signal(SIGQUIT, SIG_DFL);
    });
#endif
    process.start(psql, QStringList{conninfo} + theirs);
    if (!process.waitForStarted(30000)) {
        complain(QStringLiteral("cannot start %1: %2").arg(psql, process.errorString()));
        return 127;
    }
    process.waitForFinished(-1);
    const int code = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : int(ExitCode::Failure);
    if (cluster && !wasRunning) {
        // A HubSync that started meanwhile uses the cluster now: it stays up for it.
        pg::Connection check;
        const qint64 others =
            check.open(cluster->conninfo(QStringLiteral("hubsync")), 5)
                ? 0
                : check
                      .exec(QStringLiteral("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
                                           " AND pid <> pg_backend_pid()"))
                      .toInt(0, 0);
        check.close();
        if (others > 0)
            complain(QStringLiteral("left the embedded database running: %1 other sessions use it").arg(others));
        else if (Error e = cluster->stop(); e && code == 0)
            complain(e.message);
    }
    return code;
}

QString psqlCommandLine(const Config &config, const QString &conninfo, const QString &sql) {
    if (!config.database.isEmpty())
        return QStringLiteral("psql %1 -c %2").arg(shellQuoted(conninfo), shellQuoted(sql));
    QStringList words{shellQuoted(QCoreApplication::applicationFilePath()), QStringLiteral("psql")};
    if (!config.dataDir.isEmpty())
        words << QStringLiteral("--data-dir") << shellQuoted(QFileInfo(config.dataDir).absoluteFilePath());
    words << QStringLiteral("-c") << shellQuoted(sql);
    return words.join(QLatin1Char(' '));
}

} // namespace hubsync
