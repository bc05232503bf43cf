#pragma once

// Helpers for tst_proxy: external clients run without blocking the event loop the proxy lives on, a raw
// protocol client for what real clients never send, and a dedicated cluster with password roles.

#include "localpg/localcluster.h"
#include "proxy/epolldispatcher.h"
#include "proxy/protocol/framing.h"

#include <QAbstractEventDispatcher>
#include <QByteArray>
#include <QCoreApplication>
#include <QString>
#include <QStringList>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <optional>

namespace hubsync::test {

struct ProcessResult {
    bool started = false;
    bool finished = false;
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
    qint64 elapsedMs = 0;

    [[nodiscard]] bool ok() const { return finished && exitCode == 0; }
    // For QVERIFY2 messages.
    [[nodiscard]] QByteArray describe() const;
};

struct ProcessOptions {
    QStringList environment; // KEY=VALUE added to the inherited environment
    QByteArray standardInput;
    int timeoutMs = 30000;
    int interruptAfterMs = -1; // send SIGINT after this long (psql then cancels its query)

    static ProcessOptions interruptingAfter(int ms) {
        ProcessOptions options;
        options.interruptAfterMs = ms;
        return options;
    }
    static ProcessOptions withEnvironment(QStringList environment) {
        ProcessOptions options;
        options.environment = std::move(environment);
        return options;
    }
};

// Runs `program` to completion while the calling thread keeps processing events.
ProcessResult runProcess(const QString &program, const QStringList &arguments, const ProcessOptions &options = {});

// The first python3 that can import `module`, or an empty string.
QString pythonWith(const QString &module);

// Speaks protocol v3 frame by frame over TCP.
class RawClient {
public:
    RawClient();
    bool connectTo(quint16 port, int timeoutMs = 5000);
    void send(const QByteArray &bytes);
    // The next server message, or nullopt on timeout, disconnect or a framing error.
    std::optional<proxy::protocol::Frame> next(int timeoutMs = 5000);
    // Skips messages until one of `type` arrives.
    std::optional<proxy::protocol::Frame> waitFor(char type, int timeoutMs = 5000);
    // StartupMessage for a trust-authenticated user; true once ReadyForQuery arrived. `answers` gets the
    // server's messages up to it.
    bool startup(const QString &user, const QString &database, int timeoutMs = 5000,
                 QList<proxy::protocol::Frame> *answers = nullptr);
    bool waitDisconnected(int timeoutMs = 5000);
    QTcpSocket &socket() { return m_socket; }

private:
    QTcpSocket m_socket;
    proxy::protocol::MessageReader m_reader;
};

// A field of an ErrorResponse frame, or a null QByteArray.
QByteArray errorField(const proxy::protocol::Frame &frame, char code);
// The types of the messages up to and including the next ReadyForQuery, its status byte last
// ("12DCEZ:E"); errors are written E(SQLSTATE).
QByteArray untilReady(RawClient &client);

// A cluster of its own with a trust superuser, an md5 role and a SCRAM role (password authentication over
// its Unix socket), for the authentication tests.
class PasswordCluster {
public:
    static constexpr const char *md5User = "md5_user";
    static constexpr const char *scramUser = "scram_user";
    static constexpr const char *password = "s3cret 'pw'";

    // Empty on success, else why not.
    QString start();
    [[nodiscard]] QString socketDirectory() const { return m_cluster ? m_cluster->socketDirectory() : QString(); }
    [[nodiscard]] QString superuserConninfo() const { return m_cluster ? m_cluster->conninfo() : QString(); }

private:
    QTemporaryDir m_directory{QStringLiteral("/tmp/hs-pgauth-XXXXXX")};
    std::unique_ptr<LocalCluster> m_cluster;
};

} // namespace hubsync::test

// main() of a proxy test: the test's thread runs on the event dispatcher of the product's proxy thread
// (facade/proxyhost.cpp), or on Qt's own with HUBSYNC_PROXY_EVENT_LOOP=qt (the *_qt_event_loop runs).
#define HUBSYNC_PROXY_TEST_MAIN(TestObject)                                                                            \
    int main(int argc, char **argv) {                                                                                  \
        if (QAbstractEventDispatcher *dispatcher = hubsync::proxy::createProxyEventDispatcher())                       \
            QCoreApplication::setEventDispatcher(dispatcher);                                                          \
        QCoreApplication app(argc, argv);                                                                              \
        TestObject test;                                                                                               \
        return QTest::qExec(&test, argc, argv);                                                                        \
    }
