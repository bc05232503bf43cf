#include "localpg/localcluster.h"

#include "core/log.h"
#include "core/secretstore.h"
#include "store/pg.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QProcess>
#include <QRandomGenerator>
#include <QStandardPaths>
#include <QTcpServer>

#ifdef Q_OS_UNIX
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#endif

namespace hubsync {

namespace {

constexpr int socketPathLimit = 100;               // sun_path is 108 bytes; leave room for "/.s.PGSQL.5432"
constexpr const char *transportFile = "transport"; // "socket" or "tcp", written when the cluster is created
constexpr const char *portFile = "port";           // tcp: the port this cluster listens on
constexpr const char *ownerFile = "owner";         // the pid of the process that started the running server

bool processAlive(qint64 pid) {
#ifdef Q_OS_UNIX
    return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
#else
    Q_UNUSED(pid)
    return true; // cannot tell: never take over a server another process may own
#endif
}

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
    if (m_options.tcp) // the port chosen at an earlier start, if any (conninfo() works before start())
        m_port = tcpPort(false, false);
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
        if (Error e = initdb())
            return e;
    }
    if (Error e = checkTransport())
        return e;
    if (m_options.tcp)
        m_port = tcpPort(false);
    const QString owner = QDir(m_options.directory).absolutePath() + QLatin1Char('/') + QLatin1String(ownerFile);
    if (isRunning()) {
        // A server the process that started it left behind (killed with SIGKILL, crashed) is ours now: this
        // process stops it like one it started. One whose starter still runs (the service, while `hubsync
        // psql` looks in) is only used.
        QFile file(owner);
        const qint64 starter = file.open(QIODevice::ReadOnly) ? file.readAll().trimmed().toLongLong() : 0;
        file.close();
        if (starter > 0 && starter != QCoreApplication::applicationPid() && !processAlive(starter)) {
            logInfo(QStringLiteral("localpg"),
                    QStringLiteral("taking over the embedded database a stopped HubSync (pid %1) left running")
                        .arg(starter));
            m_startedByUs = true;
            if (file.open(QIODevice::WriteOnly | QIODevice::Truncate))
                file.write(QByteArray::number(QCoreApplication::applicationPid()) + '\n');
        }
        return {};
    }

    // Over TCP, a port taken since it was chosen is replaced by another one, once.
    for (int attempt = 1;; ++attempt) {
        QStringList serverOptions;
        if (m_options.tcp) {
            serverOptions << QStringLiteral("-c listen_addresses=127.0.0.1") << QStringLiteral("-p %1").arg(m_port);
#ifdef Q_OS_UNIX
            serverOptions << QStringLiteral("-c unix_socket_directories=''"); // TCP only, as where there are none
#endif
        } else {
            serverOptions << QStringLiteral("-c listen_addresses=''") << QStringLiteral("-k ") + m_socketDir
                          << QStringLiteral("-p %1").arg(port);
        }
        for (const QString &setting : m_options.serverSettings)
            serverOptions << QStringLiteral("-c ") + setting;
        QString output;
        const Error e = runTool(QStringLiteral("pg_ctl"),
                                {QStringLiteral("start"), QStringLiteral("-D"), m_dataDir, QStringLiteral("-l"),
                                 m_logFile, QStringLiteral("-w"), QStringLiteral("-t"), QStringLiteral("60"),
                                 QStringLiteral("-o"), serverOptions.join(QLatin1Char(' '))},
                                90000, &output);
        if (!e)
            break;
        QFile log(m_logFile);
        QString tail;
        if (log.open(QIODevice::ReadOnly))
            tail = QString::fromLocal8Bit(log.readAll().right(2000));
        if (m_options.tcp && attempt == 1 && tail.contains(QStringLiteral("could not bind"))) {
            m_port = tcpPort(true);
            continue;
        }
        return Error::make(Error::Kind::Database, e.message + QStringLiteral("\nserver log:\n") + tail);
    }
    m_startedByUs = true;
    QFile file(owner);
    if (file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        file.write(QByteArray::number(QCoreApplication::applicationPid()) + '\n');
    logInfo(QStringLiteral("localpg"), QStringLiteral("embedded database running (%1)").arg(address()));
    return {};
}

Error LocalCluster::initdb() {
    logInfo(QStringLiteral("localpg"), QStringLiteral("creating the embedded database in %1").arg(m_dataDir));
    // A half-finished initdb leaves a data dir without PG_VERSION; initdb refuses a non-empty dir.
    QDir(m_dataDir).removeRecursively();
    const QString root = QDir(m_options.directory).absolutePath();
    QStringList arguments{QStringLiteral("-D"),         m_dataDir,
                          QStringLiteral("-U"),         QString::fromLatin1(superuser),
                          QStringLiteral("-E"),         QStringLiteral("UTF8"),
                          QStringLiteral("--locale=C"), QStringLiteral("--no-instructions")};
    QString passwordFile;
    if (m_options.tcp) {
        if (m_options.password.isEmpty())
            return Error::make(Error::Kind::Internal, QStringLiteral("a TCP embedded database needs a password"));
        // Every connection, local or not, proves the password (SCRAM-SHA-256). The password reaches initdb
        // in a file only the server's account can read, removed right after.
        passwordFile = root + QStringLiteral("/initdb-password");
        QFile::remove(passwordFile);
        QFile file(passwordFile);
        // Created owner-only (never readable by others, not even for a moment).
        if (!file.open(QIODevice::WriteOnly | QIODevice::NewOnly, QFileDevice::ReadOwner | QFileDevice::WriteOwner) ||
            file.write(m_options.password + '\n') < 0) {
            QFile::remove(passwordFile);
            return Error::make(Error::Kind::Io, QStringLiteral("cannot write %1").arg(passwordFile));
        }
        file.close();
        if (m_asRoot) {
            if (Error e = chownToPostgres(passwordFile)) {
                QFile::remove(passwordFile);
                return e;
            }
        }
        arguments << QStringLiteral("-A") << QStringLiteral("scram-sha-256")
                  << QStringLiteral("--pwfile=") + passwordFile;
    } else {
        arguments << QStringLiteral("-A") << QStringLiteral("peer") << QStringLiteral("--auth-local=trust")
                  << QStringLiteral("--auth-host=reject");
    }
    const Error e = runTool(QStringLiteral("initdb"), arguments, 120000);
    if (!passwordFile.isEmpty())
        QFile::remove(passwordFile);
    if (e)
        return e;
    QFile transport(root + QLatin1Char('/') + QLatin1String(transportFile));
    if (!transport.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
        transport.write(m_options.tcp ? "tcp\n" : "socket\n") < 0)
        return Error::make(Error::Kind::Io, QStringLiteral("cannot write %1").arg(transport.fileName()));
    return {};
}

// A cluster answers on the transport it was created for (its pg_hba.conf says so).
Error LocalCluster::checkTransport() const {
    QFile file(QDir(m_options.directory).absolutePath() + QLatin1Char('/') + QLatin1String(transportFile));
    const QByteArray created = file.open(QIODevice::ReadOnly) ? file.readAll().trimmed() : QByteArray("socket");
    const QByteArray wanted = m_options.tcp ? "tcp" : "socket";
    if (created == wanted)
        return {};
    return Error::make(Error::Kind::Usage,
                       QStringLiteral("the embedded database in %1 was created for --embedded-transport %2; start "
                                      "HubSync with --embedded-transport %2, or move that directory away to create "
                                      "a new database")
                           .arg(QDir(m_options.directory).absolutePath(), QString::fromLatin1(created)));
}

// The TCP port: the one this cluster has used, unless `fresh`; otherwise (with `choose`) one free right now
// (the kernel's choice for 127.0.0.1:0), remembered for the next start.
int LocalCluster::tcpPort(bool fresh, bool choose) {
    const QString path = QDir(m_options.directory).absolutePath() + QLatin1Char('/') + QLatin1String(portFile);
    QFile file(path);
    if (!fresh && file.open(QIODevice::ReadOnly)) {
        const int saved = file.readAll().trimmed().toInt();
        file.close();
        if (saved > 0 && saved < 65536)
            return saved;
    }
    if (!choose)
        return port;
    QTcpServer probe;
    int chosen = port;
    if (probe.listen(QHostAddress::LocalHost, 0))
        chosen = probe.serverPort();
    probe.close();
    if (file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        file.write(QByteArray::number(chosen) + '\n');
    return chosen;
}

std::optional<bool> LocalCluster::createdForTcp(const QString &directory) {
    const QString root = QDir(directory).absolutePath();
    if (!QFileInfo::exists(root + QStringLiteral("/data/PG_VERSION")))
        return std::nullopt;
    QFile file(root + QLatin1Char('/') + QLatin1String(transportFile));
    return file.open(QIODevice::ReadOnly) && file.readAll().trimmed() == "tcp";
}

QString LocalCluster::address() const {
    return m_options.tcp ? QStringLiteral("127.0.0.1:%1").arg(m_port) : QStringLiteral("socket %1").arg(m_socketDir);
}

Error LocalCluster::storedPassword(const QString &directory, bool create, QByteArray *password) {
    Error error;
    // Without a keychain, the encrypted file lives in the cluster's own directory: the file store makes its
    // directory private, and as root the data directory above must stay passable for the 'postgres' account.
    const std::unique_ptr<SecretStore> store = openSecretStore(defaultSecretStoreOptions(directory), &error);
    if (!store)
        return error;
    const QString name = QStringLiteral("embedded-database-password:") + QDir(directory).absolutePath();
    if (const std::optional<QByteArray> saved = store->read(name, &error)) {
        *password = *saved;
        return {};
    }
    if (error)
        return error;
    if (!create)
        return Error::make(Error::Kind::Database,
                           QStringLiteral("the password of the embedded database in %1 is not in %2")
                               .arg(QDir(directory).absolutePath(), store->description()));
    // 32 random bytes, as text a connection string needs no quoting for.
    QByteArray bytes(32, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(bytes.data()), bytes.size() / 4);
    *password = bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
    return store->write(name, *password);
}

Error LocalCluster::stop() {
    if (!isRunning())
        return {};
    m_startedByUs = false;
    QFile::remove(QDir(m_options.directory).absolutePath() + QLatin1Char('/') + QLatin1String(ownerFile));
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
    if (m_options.tcp)
        return QStringLiteral("host=127.0.0.1 port=%1 user=%2 dbname=%3 password=%4")
            .arg(m_port)
            .arg(QString::fromLatin1(superuser), quote(database), quote(QString::fromLatin1(m_options.password)));
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
