#include "localpg/localcluster.h"

#include "core/log.h"
#include "store/pg.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>

#ifdef Q_OS_UNIX
#include <pwd.h>
#include <signal.h>
#include <unistd.h>
#endif

namespace hubsync {

namespace {

constexpr int socketPathLimit = 100; // sun_path is 108 bytes; leave room for "/.s.PGSQL.5432"

bool runningAsRoot() {
#ifdef Q_OS_UNIX
    return ::geteuid() == 0;
#else
    return false;
#endif
}

Error chownToPostgres(const QString &path) {
#ifdef Q_OS_UNIX
    const passwd *pw = ::getpwnam("postgres");
    if (!pw)
        return Error::make(Error::Kind::Database,
                           QStringLiteral("running as root needs the 'postgres' account to own the embedded "
                                          "database; install the postgresql package"));
    if (::chown(QFile::encodeName(path).constData(), pw->pw_uid, pw->pw_gid) != 0)
        return Error::make(Error::Kind::Io, QStringLiteral("cannot chown %1 to postgres").arg(path));
#else
    Q_UNUSED(path)
#endif
    return {};
}

} // namespace

LocalCluster::LocalCluster(Options options)
    : m_options(std::move(options))
    , m_binDir(findServerBinaries())
    , m_asRoot(runningAsRoot()) {
    const QString root = QDir(m_options.directory).absolutePath();
    m_dataDir = root + QStringLiteral("/data");
    m_logFile = root + QStringLiteral("/server.log");
    m_socketDir = root + QStringLiteral("/run");
    if (m_socketDir.toUtf8().size() > socketPathLimit) {
        // Unix socket paths are short; fall back to a per-cluster directory under the temp dir.
        const QByteArray hash = QCryptographicHash::hash(root.toUtf8(), QCryptographicHash::Sha1).toHex().left(12);
        m_socketDir = QDir::tempPath() + QStringLiteral("/hubsync-pg-") + QString::fromLatin1(hash);
    }
}

LocalCluster::~LocalCluster() {
    if (m_options.stopOnDestruction && m_startedByUs)
        stop();
}

QString LocalCluster::findServerBinaries() {
    const QString fromEnv = qEnvironmentVariable("HUBSYNC_PG_BINDIR");
    if (!fromEnv.isEmpty())
        return QFileInfo::exists(fromEnv + QStringLiteral("/initdb")) ? fromEnv : QString();

    QStringList candidates;
    QProcess pgConfig;
    pgConfig.start(QStringLiteral("pg_config"), {QStringLiteral("--bindir")});
    if (pgConfig.waitForFinished(5000) && pgConfig.exitCode() == 0)
        candidates << QString::fromLocal8Bit(pgConfig.readAllStandardOutput()).trimmed();

    QDir versions(QStringLiteral("/usr/lib/postgresql"));
    QStringList numbered = versions.entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    std::sort(numbered.begin(), numbered.end(),
              [](const QString &a, const QString &b) { return a.toInt() > b.toInt(); });
    for (const QString &v : numbered)
        candidates << versions.filePath(v) + QStringLiteral("/bin");
    candidates << QStringLiteral("/usr/local/pgsql/bin") << QStringLiteral("/opt/homebrew/bin")
               << QStringLiteral("/usr/local/bin");

    for (const QString &dir : candidates) {
        if (QFileInfo::exists(dir + QStringLiteral("/initdb")) && QFileInfo::exists(dir + QStringLiteral("/pg_ctl")))
            return dir;
    }
    const QString onPath = QStandardPaths::findExecutable(QStringLiteral("initdb"));
    return onPath.isEmpty() ? QString() : QFileInfo(onPath).absolutePath();
}

Error LocalCluster::runTool(const QString &tool, const QStringList &arguments, int timeoutMs, QString *output) const {
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    const QString program = m_binDir + QLatin1Char('/') + tool;
    if (m_asRoot)
        process.start(QStringLiteral("runuser"),
                      QStringList{QStringLiteral("-u"), QStringLiteral("postgres"), QStringLiteral("--"), program} +
                          arguments);
    else
        process.start(program, arguments);
    if (!process.waitForStarted(10000))
        return Error::make(Error::Kind::Database,
                           QStringLiteral("cannot start %1: %2").arg(program, process.errorString()));
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished(2000);
        return Error::make(Error::Kind::Database,
                           QStringLiteral("%1 did not finish in %2 s").arg(tool).arg(timeoutMs / 1000));
    }
    const QString text = QString::fromLocal8Bit(process.readAll()).trimmed();
    if (output)
        *output = text;
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0)
        return Error::make(Error::Kind::Database,
                           QStringLiteral("%1 failed (exit %2): %3").arg(tool).arg(process.exitCode()).arg(text));
    return {};
}

Error LocalCluster::prepareDirectories() {
    const QString root = QDir(m_options.directory).absolutePath();
    for (const QString &dir : {root, m_socketDir}) {
        if (!QDir().mkpath(dir))
            return Error::make(Error::Kind::Io, QStringLiteral("cannot create directory %1").arg(dir));
    }
    QFile::setPermissions(m_socketDir, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    if (m_asRoot) {
        for (const QString &dir : {root, m_socketDir}) {
            if (Error e = chownToPostgres(dir))
                return e;
        }
        // The postgres account must be able to reach the directory through every parent.
        QFileInfo parent(root);
        while (!parent.isRoot()) {
            parent = QFileInfo(parent.absolutePath());
            const auto perms = QFile::permissions(parent.absoluteFilePath());
            if (!(perms & QFileDevice::ExeOther))
                return Error::make(Error::Kind::Database,
                                   QStringLiteral("the embedded database directory %1 is not reachable by the "
                                                  "'postgres' account (%2 is private); use --data-dir with a "
                                                  "directory such as /var/lib/hubsync")
                                       .arg(root, parent.absoluteFilePath()));
        }
    }
    return {};
}

bool LocalCluster::isRunning() const {
    if (m_binDir.isEmpty() || !QFileInfo::exists(m_dataDir + QStringLiteral("/PG_VERSION")))
        return false;
    return !runTool(QStringLiteral("pg_ctl"), {QStringLiteral("status"), QStringLiteral("-D"), m_dataDir}, 10000);
}

bool LocalCluster::exists() const {
    return QFileInfo::exists(m_dataDir + QStringLiteral("/PG_VERSION"));
}

qint64 LocalCluster::serverPid() const {
    QFile pidFile(m_dataDir + QStringLiteral("/postmaster.pid"));
    if (!pidFile.open(QIODevice::ReadOnly))
        return 0;
    return pidFile.readLine(32).trimmed().toLongLong();
}

bool LocalCluster::serverAlive() const {
#ifdef Q_OS_UNIX
    const qint64 pid = serverPid();
    if (pid <= 0)
        return false;
    // Signal 0 only checks. The server runs as this user, or as 'postgres' when this is root, so either way
    // it may be signalled: EPERM means the pid now belongs to someone else's process, a stale pid file.
    return ::kill(static_cast<pid_t>(pid), 0) == 0;
#else
    return isRunning();
#endif
}

Error LocalCluster::start() {
    if (m_binDir.isEmpty())
        return Error::make(Error::Kind::Database,
                           QStringLiteral("no PostgreSQL server binaries (initdb, pg_ctl) found for the embedded "
                                          "database; install PostgreSQL (Debian: postgresql) or pass --database"));
    if (Error e = prepareDirectories())
        return e;

    if (!QFileInfo::exists(m_dataDir + QStringLiteral("/PG_VERSION"))) {
        logInfo(QStringLiteral("localpg"), QStringLiteral("creating the embedded database in %1").arg(m_dataDir));
        // A half-finished initdb leaves a data dir without PG_VERSION; initdb refuses a non-empty dir.
        QDir(m_dataDir).removeRecursively();
        if (Error e = runTool(QStringLiteral("initdb"),
                              {QStringLiteral("-D"), m_dataDir, QStringLiteral("-U"), QString::fromLatin1(superuser),
                               QStringLiteral("-A"), QStringLiteral("peer"), QStringLiteral("--auth-local=trust"),
                               QStringLiteral("--auth-host=reject"), QStringLiteral("-E"), QStringLiteral("UTF8"),
                               QStringLiteral("--locale=C"), QStringLiteral("--no-instructions")},
                              120000))
            return e;
    }
    if (isRunning())
        return {};

    QStringList serverOptions{QStringLiteral("-c listen_addresses=''"), QStringLiteral("-k ") + m_socketDir,
                              QStringLiteral("-p %1").arg(port)};
    for (const QString &setting : m_options.serverSettings)
        serverOptions << QStringLiteral("-c ") + setting;
    QString output;
    if (Error e = runTool(QStringLiteral("pg_ctl"),
                          {QStringLiteral("start"), QStringLiteral("-D"), m_dataDir, QStringLiteral("-l"), m_logFile,
                           QStringLiteral("-w"), QStringLiteral("-t"), QStringLiteral("60"), QStringLiteral("-o"),
                           serverOptions.join(QLatin1Char(' '))},
                          90000, &output)) {
        QFile log(m_logFile);
        QString tail;
        if (log.open(QIODevice::ReadOnly))
            tail = QString::fromLocal8Bit(log.readAll().right(2000));
        return Error::make(Error::Kind::Database, e.message + QStringLiteral("\nserver log:\n") + tail);
    }
    m_startedByUs = true;
    logInfo(QStringLiteral("localpg"), QStringLiteral("embedded database running (socket %1)").arg(m_socketDir));
    return {};
}

Error LocalCluster::stop() {
    if (!isRunning())
        return {};
    m_startedByUs = false;
    return runTool(QStringLiteral("pg_ctl"),
                   {QStringLiteral("stop"), QStringLiteral("-D"), m_dataDir, QStringLiteral("-m"),
                    QStringLiteral("fast"), QStringLiteral("-w"), QStringLiteral("-t"), QStringLiteral("60")},
                   90000);
}

QString LocalCluster::conninfo(const QString &database) const {
    // Values are single-quoted per libpq's conninfo rules.
    const auto quote = [](QString v) -> QString {
        v.replace(QLatin1Char('\\'), QStringLiteral("\\\\"));
        v.replace(QLatin1Char('\''), QStringLiteral("\\'"));
        return QLatin1Char('\'') + v + QLatin1Char('\'');
    };
    return QStringLiteral("host=%1 port=%2 user=%3 dbname=%4")
        .arg(quote(m_socketDir))
        .arg(port)
        .arg(QString::fromLatin1(superuser), quote(database));
}

Error LocalCluster::ensureDatabase(const QString &database) {
    pg::Connection connection;
    if (Error e = connection.open(conninfo()))
        return e;
    const pg::Result exists =
        connection.execParams(QStringLiteral("SELECT 1 FROM pg_database WHERE datname = $1"), {pg::param(database)});
    if (!exists.ok())
        return pg::databaseError(QStringLiteral("create database"), exists.errorMessage());
    if (exists.rows() > 0)
        return {};
    return connection.run(QStringLiteral("CREATE DATABASE ") + connection.quoteIdentifier(database), {},
                          QStringLiteral("create database"));
}

} // namespace hubsync
