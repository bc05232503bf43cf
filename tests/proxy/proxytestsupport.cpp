#include "proxytestsupport.h"

#include "proxy/protocol/errorfields.h"
#include "proxy/protocol/startup.h"
#include "store/pg.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTest>
#include <QTimer>

#include <csignal>

namespace hubsync::test {

QByteArray ProcessResult::describe() const {
    return QByteArrayLiteral("started=") + (started ? "yes" : "no") + " finished=" + (finished ? "yes" : "no") +
           " exit=" + QByteArray::number(exitCode) + " after " + QByteArray::number(elapsedMs) + " ms\nstdout:\n" +
           out.right(4000) + "\nstderr:\n" + err.right(4000);
}

ProcessResult runProcess(const QString &program, const QStringList &arguments, const ProcessOptions &options) {
    ProcessResult result;
    QProcess process;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    for (const QString &entry : options.environment) {
        const qsizetype eq = entry.indexOf(QLatin1Char('='));
        environment.insert(entry.left(eq), entry.mid(eq + 1));
    }
    process.setProcessEnvironment(environment);
    QEventLoop loop;
    QObject::connect(&process, &QProcess::finished, &loop, &QEventLoop::quit);
    QObject::connect(&process, &QProcess::errorOccurred, &loop, [&loop](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart)
            loop.quit();
    });
    QTimer timeout;
    timeout.setSingleShot(true);
    QObject::connect(&timeout, &QTimer::timeout, &loop, &QEventLoop::quit);
    QTimer interrupt;
    interrupt.setSingleShot(true);
    QObject::connect(&interrupt, &QTimer::timeout, &process, [&process] {
        if (process.processId() > 0)
            ::kill(pid_t(process.processId()), SIGINT);
    });

    QElapsedTimer clock;
    clock.start();
    process.start(program, arguments);
    if (!process.waitForStarted(10000)) {
        result.err = process.errorString().toUtf8();
        return result;
    }
    result.started = true;
    if (!options.standardInput.isEmpty())
        process.write(options.standardInput);
    process.closeWriteChannel();
    timeout.start(options.timeoutMs);
    if (options.interruptAfterMs >= 0)
        interrupt.start(options.interruptAfterMs);
    if (process.state() != QProcess::NotRunning)
        loop.exec();
    result.elapsedMs = clock.elapsed();
    if (process.state() != QProcess::NotRunning) {
        process.kill();
        process.waitForFinished(5000);
    } else {
        result.finished = process.exitStatus() == QProcess::NormalExit;
        result.exitCode = process.exitCode();
    }
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    return result;
}

QString pythonWith(const QString &module) {
    // pyenv shims and virtualenvs often lack the distribution's python3-psycopg* packages.
    QStringList candidates{QStringLiteral("/usr/bin/python3")};
    const QString onPath = QStandardPaths::findExecutable(QStringLiteral("python3"));
    if (!onPath.isEmpty())
        candidates << onPath;
    for (const QString &python : std::as_const(candidates)) {
        if (!QFile::exists(python))
            continue;
        QProcess probe;
        probe.start(python, {QStringLiteral("-c"), QStringLiteral("import ") + module});
        if (probe.waitForFinished(10000) && probe.exitStatus() == QProcess::NormalExit && probe.exitCode() == 0)
            return python;
    }
    return {};
}

RawClient::RawClient()
    : m_reader(proxy::protocol::MessageReader::Mode::Typed,
               proxy::protocol::FrameLimits{proxy::protocol::postgresMaxMessageLength,
                                            proxy::protocol::postgresMaxStartupLength}) {}

bool RawClient::connectTo(quint16 port, int timeoutMs) {
    m_socket.connectToHost(QHostAddress::LocalHost, port);
    return QTest::qWaitFor([this] { return m_socket.state() == QAbstractSocket::ConnectedState; }, timeoutMs);
}

void RawClient::send(const QByteArray &bytes) {
    m_socket.write(bytes);
}

std::optional<proxy::protocol::Frame> RawClient::next(int timeoutMs) {
    proxy::protocol::Frame frame;
    QElapsedTimer clock;
    clock.start();
    for (;;) {
        m_reader.feed(m_socket.readAll());
        const auto status = m_reader.next(frame);
        if (status == proxy::protocol::MessageReader::Status::Frame)
            return frame;
        if (status == proxy::protocol::MessageReader::Status::Error)
            return std::nullopt;
        if (clock.elapsed() > timeoutMs)
            return std::nullopt;
        if (m_socket.state() != QAbstractSocket::ConnectedState && m_socket.bytesAvailable() == 0)
            return std::nullopt;
        m_socket.waitForReadyRead(0);
        QTest::qWait(5);
    }
}

std::optional<proxy::protocol::Frame> RawClient::waitFor(char type, int timeoutMs) {
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < timeoutMs) {
        std::optional<proxy::protocol::Frame> frame = next(int(timeoutMs - clock.elapsed()));
        if (!frame)
            return std::nullopt;
        if (frame->type == type)
            return frame;
    }
    return std::nullopt;
}

bool RawClient::startup(const QString &user, const QString &database, int timeoutMs,
                        QList<proxy::protocol::Frame> *answers) {
    proxy::protocol::StartupMessage message;
    message.parameters = {{"user", user.toUtf8()}, {"database", database.toUtf8()}};
    send(message.encode());
    for (;;) {
        std::optional<proxy::protocol::Frame> frame = next(timeoutMs);
        if (!frame || frame->type == 'E')
            return false;
        if (answers)
            answers->append(*frame);
        if (frame->type == 'Z')
            return true;
    }
}

bool RawClient::waitDisconnected(int timeoutMs) {
    return QTest::qWaitFor(
        [this] {
            m_socket.readAll();
            return m_socket.state() == QAbstractSocket::UnconnectedState;
        },
        timeoutMs);
}

QByteArray errorField(const proxy::protocol::Frame &frame, char code) {
    const proxy::protocol::Result<proxy::protocol::ErrorResponse> error =
        proxy::protocol::ErrorResponse::decode(frame.payload);
    return error ? error->fields.value(code) : QByteArray();
}

QByteArray untilReady(RawClient &client) {
    QByteArray trace;
    for (;;) {
        const std::optional<proxy::protocol::Frame> frame = client.next();
        if (!frame)
            return trace + "<timeout>";
        trace += frame->type;
        if (frame->type == 'E')
            trace += "(" + errorField(*frame, proxy::protocol::field::sqlState) + ")";
        if (frame->type == 'Z')
            return trace + ":" + frame->payload;
    }
}

QString PasswordCluster::start() {
    if (!m_directory.isValid())
        return QStringLiteral("cannot create a temp dir");
    // The postgres account (used when we are root) must be able to enter the directory.
    QFile::setPermissions(m_directory.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner |
                                                  QFileDevice::ExeOther);
    LocalCluster::Options options;
    options.directory = m_directory.path();
    options.serverSettings = {QStringLiteral("fsync=off"), QStringLiteral("synchronous_commit=off")};
    m_cluster = std::make_unique<LocalCluster>(options);
    if (Error e = m_cluster->start())
        return e.message;

    pg::Connection admin;
    if (Error e = admin.open(m_cluster->conninfo()))
        return e.message;
    // The stored verifier decides what the server can ask for: an md5 hash allows only md5, a SCRAM
    // verifier allows SCRAM (pg_hba's "md5" would also upgrade to SCRAM, hence the md5 hash).
    const QString quotedPassword = QStringLiteral("'") +
                                   QString::fromUtf8(password).replace(QLatin1Char('\''), QStringLiteral("''")) +
                                   QLatin1Char('\'');
    for (const QString &sql :
         {QStringLiteral("SET password_encryption = 'md5'"),
          QStringLiteral("CREATE ROLE %1 LOGIN PASSWORD %2").arg(QLatin1StringView(md5User), quotedPassword),
          QStringLiteral("SET password_encryption = 'scram-sha-256'"),
          QStringLiteral("CREATE ROLE %1 LOGIN PASSWORD %2").arg(QLatin1StringView(scramUser), quotedPassword)}) {
        if (Error e = admin.run(sql))
            return e.message;
    }
    const pg::Result hba = admin.exec(QStringLiteral("SHOW hba_file"));
    if (!hba.ok() || hba.rows() != 1)
        return QStringLiteral("SHOW hba_file: ") + hba.errorMessage();
    QFile file(hba.text(0, 0));
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return QStringLiteral("cannot rewrite %1: %2").arg(file.fileName(), file.errorString());
    file.write(QByteArrayLiteral("local all ") + LocalCluster::superuser + " trust\n" + "local all " + md5User +
               " md5\n" + "local all " + scramUser + " scram-sha-256\n");
    file.close();
    if (Error e = admin.run(QStringLiteral("SELECT pg_reload_conf()")))
        return e.message;
    // The reload is asynchronous; give the postmaster a moment to read the new file.
    QTest::qWait(300);
    return {};
}

} // namespace hubsync::test
