// ProxyServer end to end: a real PostgreSQL (PgTestInstance), real clients (psql, pgbench, psycopg2,
// psycopg 3, node-postgres, pgJDBC) connecting over TCP to the proxy, plus raw protocol for what clients
// never send.

#include "core/events.h"
#include "pgtestinstance.h"
#include "proxy/protocol/errorfields.h"
#include "proxy/protocol/messages_frontend.h"
#include "proxy/protocol/startup.h"
#include "proxy/proxyserver.h"
#include "proxytestsupport.h"
#include "store/pg.h"

#include <QDir>
#include <QFile>
#include <QMap>
#include <QRegularExpression>
#include <QSslSocket>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QtEndian>

using namespace hubsync;
using namespace hubsync::proxy;
using hubsync::test::ProcessOptions;
using hubsync::test::ProcessResult;
using hubsync::test::RawClient;
using hubsync::test::runProcess;

using hubsync::test::errorField;
using hubsync::test::untilReady;

class TestProxy : public QObject {
    Q_OBJECT

    QString m_conninfo; // direct, for setting up and checking
    DatabaseEndpoint m_endpoint;
    std::unique_ptr<ProxyServer> m_proxy;
    QTemporaryDir m_temp;

    std::unique_ptr<ProxyServer> startProxy(ProxyOptions options) {
        auto proxy = std::make_unique<ProxyServer>(std::move(options));
        if (Error e = proxy->listen()) {
            qWarning("%s", qPrintable(e.message));
            return nullptr;
        }
        return proxy;
    }
    ProxyOptions optionsFor(const UpstreamTarget &upstream) const {
        ProxyOptions options;
        options.upstream = upstream;
        return options;
    }
    UpstreamTarget databaseTarget() const { return UpstreamTarget{m_endpoint.host, quint16(m_endpoint.port)}; }

    QString dsn(quint16 port, const QString &user = {}, const QString &extra = {}) const {
        return QStringLiteral("host=127.0.0.1 port=%1 dbname=%2 user=%3 connect_timeout=10 %4")
            .arg(port)
            .arg(m_endpoint.database, user.isEmpty() ? m_endpoint.user : user, extra);
    }
    ProcessResult psql(const QStringList &arguments, ProcessOptions options = {}, quint16 port = 0) {
        QStringList args{QStringLiteral("-X"), QStringLiteral("-q"),
                         QStringLiteral("-A"), QStringLiteral("-t"),
                         QStringLiteral("-v"), QStringLiteral("VERBOSITY=verbose"),
                         QStringLiteral("-d"), dsn(port ? port : m_proxy->port())};
        args += arguments;
        return runProcess(QStringLiteral("psql"), args, options);
    }
    QString direct(const QString &sql) {
        pg::Connection connection;
        if (connection.open(m_conninfo))
            return QStringLiteral("<no connection>");
        const pg::Result result = connection.exec(sql);
        return result.ok() && result.rows() > 0 ? result.text(0, 0) : result.errorMessage();
    }
    static QString clientScript(const QString &name) {
        return qEnvironmentVariable("HUBSYNC_SOURCE_DIR", QStringLiteral(HUBSYNC_TEST_SOURCE_DIR)) +
               QStringLiteral("/tests/proxy/clients/") + name;
    }
    // Runs one of the client scripts of tests/proxy/clients, which print FAIL lines and end with `OK name`;
    // each of their protocol cancels must have reached the proxy's cancel path.
    void runClient(const QString &program, const QStringList &arguments, const char *okLine, quint64 cancels,
                   const ProcessOptions &options = {}) {
        const quint64 before = m_proxy->stats().cancelsForwarded;
        const ProcessResult r = runProcess(program, arguments, options);
        QVERIFY2(r.ok() && r.out.contains(okLine), r.describe());
        QCOMPARE(m_proxy->stats().cancelsForwarded, before + cancels);
    }
    QString writeFile(const QString &name, const QByteArray &content) {
        const QString path = m_temp.filePath(name);
        QFile file(path);
        if (file.open(QIODevice::WriteOnly))
            file.write(content);
        return path;
    }

private Q_SLOTS:
    void initTestCase() {
#ifdef Q_OS_LINUX
        // The run this is: on the proxy thread's epoll dispatcher, or (tst_proxy_qt_event_loop) on Qt's own.
        QCOMPARE(proxy::EpollEventDispatcher::isCurrent(), qgetenv("HUBSYNC_PROXY_EVENT_LOOP") != "qt");
#endif
        test::PgTestInstance &pg = test::PgTestInstance::shared();
        QVERIFY2(pg.error().isEmpty(), qPrintable(pg.error()));
        m_conninfo = pg.createDatabase(QStringLiteral("proxy"));
        QVERIFY2(!m_conninfo.isEmpty(), qPrintable(pg.error()));
        m_endpoint = pg::endpointOf(m_conninfo);
        QVERIFY(m_endpoint.isValid());
        QVERIFY(m_temp.isValid());

        pg::Connection connection;
        QVERIFY2(!connection.open(m_conninfo), qPrintable(connection.lastError()));
        // The classifier only needs the names of the synced tables; a few small ones stand in for them.
        for (const char *sql :
             {"CREATE SCHEMA github", "CREATE TABLE github.repository (id bigint PRIMARY KEY, name text)",
              "CREATE TABLE github.issue (id bigint PRIMARY KEY, title text)",
              "INSERT INTO github.repository VALUES (1, 'bug'), (2, 'docs')",
              "INSERT INTO github.issue VALUES (1, 'first')",
              "CREATE TABLE notes (id serial PRIMARY KEY, body text)"}) {
            const Error e = connection.run(QString::fromLatin1(sql));
            QVERIFY2(!e, qPrintable(e.message));
        }
        m_proxy = startProxy(optionsFor(databaseTarget()));
        QVERIFY(m_proxy);
        QCOMPARE(m_proxy->address(), QHostAddress(QHostAddress::LocalHost));
        QVERIFY(m_proxy->port() != 0);
    }

    void cleanupTestCase() {
        m_proxy.reset();
        if (!m_conninfo.isEmpty())
            test::PgTestInstance::shared().dropDatabase(m_conninfo);
    }

    void psqlSimpleQuery() {
        const ProcessResult r = psql({QStringLiteral("-c"), QStringLiteral("SELECT 40 + 2")});
        QVERIFY2(r.ok(), r.describe());
        QCOMPARE(r.out.trimmed(), QByteArray("42"));
    }

    void psqlMultiStatement() {
        // One Query message with several statements: one implicit transaction, several results.
        const ProcessResult r =
            psql({QStringLiteral("-c"), QStringLiteral("INSERT INTO notes (body) VALUES ('multi'); SELECT count(*) "
                                                       "FROM notes WHERE body = 'multi'; SELECT 'done'")});
        QVERIFY2(r.ok(), r.describe());
        QCOMPARE(r.out.trimmed(), QByteArray("1\ndone")); // psql 15 prints every result of the string
        QCOMPARE(direct(QStringLiteral("SELECT count(*) FROM notes WHERE body = 'multi'")), QStringLiteral("1"));

        const QString script =
            writeFile(QStringLiteral("multi.sql"), "SELECT 1; SELECT 2;\nSELECT string_agg(g::text, ',') FROM "
                                                   "generate_series(1, 3) g;\n");
        const ProcessResult f = psql({QStringLiteral("-f"), script});
        QVERIFY2(f.ok(), f.describe());
        QCOMPARE(f.out, QByteArray("1\n2\n1,2,3\n"));
    }

    void psqlCopy() {
        const QString out = m_temp.filePath(QStringLiteral("copy-out.txt"));
        const ProcessResult r = psql(
            {QStringLiteral("-c"),
             QStringLiteral("\\copy (SELECT g, repeat('x', 100) FROM generate_series(1, 20000) g) TO '%1'").arg(out)});
        QVERIFY2(r.ok(), r.describe());
        QFile file(out);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = file.readAll().split('\n');
        QCOMPARE(lines.size(), 20001); // trailing newline
        QVERIFY(lines.at(19999).startsWith("20000\t"));

        // COPY FROM STDIN into the user's own table passes through.
        const QString in = writeFile(QStringLiteral("copy-in.txt"), "copied a\ncopied b\n");
        const ProcessResult c = psql({QStringLiteral("-c"), QStringLiteral("\\copy notes (body) FROM '%1'").arg(in)});
        QVERIFY2(c.ok(), c.describe());
        QCOMPARE(direct(QStringLiteral("SELECT count(*) FROM notes WHERE body LIKE 'copied _'")), QStringLiteral("2"));
    }

    void psqlPrepareExecute() {
        const ProcessResult r =
            psql({QStringLiteral("-c"), QStringLiteral("PREPARE p(int) AS SELECT $1 + 1"), QStringLiteral("-c"),
                  QStringLiteral("EXECUTE p(41)"), QStringLiteral("-c"), QStringLiteral("DEALLOCATE p")});
        QVERIFY2(r.ok(), r.describe());
        QCOMPARE(r.out.trimmed(), QByteArray("42"));
    }

    void refusals_data() {
        QTest::addColumn<QString>("sql");
        QTest::addColumn<QString>("sqlState");
        QTest::addColumn<QString>("messageContains");
        QTest::newRow("update read-only table") << "UPDATE github.repository SET name = 'x' WHERE id = 1"
                                                << "25006"
                                                << "read-only";
        QTest::newRow("truncate read-only table") << "TRUNCATE github.repository"
                                                  << "25006"
                                                  << "read-only";
        QTest::newRow("insert issue") << "INSERT INTO github.issue VALUES (2, 'new')"
                                      << "0A000"
                                      << "write-through to GitHub is not enabled in this build";
        QTest::newRow("update issue") << "UPDATE github.issue SET title = 'changed'"
                                      << "0A000"
                                      << "write-through to GitHub is not enabled";
        QTest::newRow("upsert") << "INSERT INTO github.issue VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET title = 'y'"
                                << "0A000"
                                << "ON CONFLICT DO UPDATE";
        QTest::newRow("merge") << "MERGE INTO github.issue i USING (SELECT 1 AS id) s ON i.id = s.id "
                                  "WHEN MATCHED THEN UPDATE SET title = 'm'"
                               << "0A000"
                               << "MERGE";
        QTest::newRow("copy from") << "COPY github.issue FROM STDIN"
                                   << "0A000"
                                   << "COPY FROM";
        QTest::newRow("writable cte") << "WITH d AS (DELETE FROM github.issue WHERE id = 1 RETURNING *) SELECT * FROM d"
                                      << "0A000"
                                      << "WITH";
        QTest::newRow("two writes") << "UPDATE github.issue SET title = 'a'; UPDATE github.issue SET title = 'b'"
                                    << "0A000"
                                    << "statement of its own";
    }

    void refusals() {
        QFETCH(QString, sql);
        QFETCH(QString, sqlState);
        QFETCH(QString, messageContains);
        const ProcessResult r =
            psql({QStringLiteral("-v"), QStringLiteral("ON_ERROR_STOP=1"), QStringLiteral("-c"), sql});
        QVERIFY2(r.finished && r.exitCode == 1, r.describe());
        const QString err = QString::fromUtf8(r.err);
        QVERIFY2(err.contains(QStringLiteral("ERROR:  %1: ").arg(sqlState)), r.describe());
        QVERIFY2(err.contains(messageContains), r.describe());
        QVERIFY2(err.contains(QStringLiteral("DETAIL:  ")), r.describe());
        QVERIFY2(err.contains(QStringLiteral("HINT:  ")), r.describe());
        QVERIFY2(!err.contains(QStringLiteral("hubsync_proxy_refused")), r.describe());
        // Nothing changed.
        QCOMPARE(direct(QStringLiteral("SELECT string_agg(name, ',' ORDER BY id) FROM github.repository")),
                 QStringLiteral("bug,docs"));
        QCOMPARE(direct(QStringLiteral("SELECT string_agg(id || ':' || title, ',') FROM github.issue")),
                 QStringLiteral("1:first"));
    }

    void readsOfSyncedTablesPass() {
        const ProcessResult r =
            psql({QStringLiteral("-c"),
                  QStringLiteral("SELECT l.name FROM github.repository l JOIN github.issue i ON i.id = "
                                 "l.id WHERE l.updated_at_or_not IS NULL")});
        // A read the server rejects on its own gets the server's error (42703), not a proxy refusal.
        QVERIFY2(QString::fromUtf8(r.err).contains(QStringLiteral("42703")), r.describe());
        const ProcessResult ok =
            psql({QStringLiteral("-c"), QStringLiteral("SELECT name FROM github.repository WHERE id = 2 "
                                                       "FOR UPDATE")});
        QVERIFY2(ok.ok(), ok.describe());
        QCOMPARE(ok.out.trimmed(), QByteArray("docs"));
    }

    void refusalAbortsTransactionBlock() {
        // Like any failed statement, a refusal inside BEGIN aborts the block: the next statement gets
        // 25P02 and nothing of the block is committed.
        const QString script = writeFile(QStringLiteral("block.sql"), "BEGIN;\n"
                                                                      "INSERT INTO notes (body) VALUES ('in block');\n"
                                                                      "UPDATE github.repository SET name = 'x';\n"
                                                                      "SELECT 1;\n"
                                                                      "COMMIT;\n");
        const ProcessResult r = psql({QStringLiteral("-f"), script});
        const QString err = QString::fromUtf8(r.err);
        QVERIFY2(err.contains(QStringLiteral("25006")), r.describe());
        QVERIFY2(err.contains(QStringLiteral("25P02")), r.describe());
        QCOMPARE(direct(QStringLiteral("SELECT count(*) FROM notes WHERE body = 'in block'")), QStringLiteral("0"));
    }

    void extendedRefusalInPipeline() {
        // What a server does after a failed Parse, exactly: earlier pipelined work is answered, the rest is
        // skipped up to Sync, the transaction block is aborted, the refused name stays free.
        RawClient client;
        QVERIFY(client.connectTo(m_proxy->port()));
        QVERIFY(client.startup(m_endpoint.user, m_endpoint.database));
        client.send(protocol::Query{"BEGIN"}.encode());
        QCOMPARE(untilReady(client), QByteArray("CZ:T"));
        QByteArray pipeline;
        pipeline += protocol::Parse{"ok", "SELECT 1", {}}.encode();
        pipeline += protocol::Bind{"", "ok", {}, {}, {}}.encode();
        pipeline += protocol::Execute{"", 0}.encode();
        pipeline += protocol::Parse{"bad", "UPDATE github.repository SET name = $1", {}}.encode();
        pipeline += protocol::Bind{"", "bad", {}, {QByteArray("x")}, {}}.encode();
        pipeline += protocol::Execute{"", 0}.encode();
        pipeline += protocol::Sync{}.encode();
        client.send(pipeline);
        QCOMPARE(untilReady(client), QByteArray("12DCE(25006)Z:E"));
        client.send(protocol::Query{"SELECT 1"}.encode());
        QCOMPARE(untilReady(client), QByteArray("E(25P02)Z:E"));
        client.send(protocol::Query{"ROLLBACK"}.encode());
        QCOMPARE(untilReady(client), QByteArray("CZ:I"));
        // Prepared statements outlive the rollback; the refused one never existed.
        client.send(protocol::Describe{protocol::ObjectKind::Statement, "ok"}.encode() +
                    protocol::Describe{protocol::ObjectKind::Statement, "bad"}.encode() + protocol::Sync{}.encode());
        QCOMPARE(untilReady(client), QByteArray("tTE(26000)Z:I"));
        // Outside a block the same refusal leaves the session idle, and a refused simple Query too.
        client.send(protocol::Parse{"", "DELETE FROM github.issue", {}}.encode() + protocol::Sync{}.encode());
        QCOMPARE(untilReady(client), QByteArray("E(0A000)Z:I"));
        client.send(protocol::Query{"DELETE FROM github.repository"}.encode());
        QCOMPARE(untilReady(client), QByteArray("E(25006)Z:I"));
        client.send(protocol::Query{"SELECT 2"}.encode());
        QCOMPARE(untilReady(client), QByteArray("TDCZ:I"));
    }

    void upstreamUnreachable() {
        std::unique_ptr<ProxyServer> proxy =
            startProxy(optionsFor(UpstreamTarget{m_temp.filePath(QStringLiteral("nothing")), 5432}));
        QVERIFY(proxy);
        RawClient client;
        QVERIFY(client.connectTo(proxy->port()));
        client.send(protocol::StartupMessage{protocol::protocolVersion30, {{"user", "x"}}}.encode());
        const std::optional<protocol::Frame> error = client.waitFor('E');
        QVERIFY(error);
        QCOMPARE(errorField(*error, protocol::field::severity), QByteArray("FATAL"));
        QCOMPARE(errorField(*error, protocol::field::sqlState), QByteArray("08006"));
        QVERIFY(client.waitDisconnected());
    }

    void beginRollback() {
        const ProcessResult r =
            psql({QStringLiteral("-v"), QStringLiteral("ON_ERROR_STOP=1"), QStringLiteral("-c"),
                  QStringLiteral("BEGIN; INSERT INTO notes (body) VALUES ('rolled back'); ROLLBACK")});
        QVERIFY2(r.ok(), r.describe());
        QCOMPARE(direct(QStringLiteral("SELECT count(*) FROM notes WHERE body = 'rolled back'")), QStringLiteral("0"));
        const ProcessResult c = psql({QStringLiteral("-v"), QStringLiteral("ON_ERROR_STOP=1"), QStringLiteral("-c"),
                                      QStringLiteral("BEGIN; INSERT INTO notes (body) VALUES ('committed'); COMMIT")});
        QVERIFY2(c.ok(), c.describe());
        QCOMPARE(direct(QStringLiteral("SELECT count(*) FROM notes WHERE body = 'committed'")), QStringLiteral("1"));
    }

    void pgbench_data() {
        QTest::addColumn<QString>("mode");
        QTest::newRow("simple") << "simple";
        QTest::newRow("extended") << "extended";
        QTest::newRow("prepared") << "prepared";
    }

    void pgbench() {
        QFETCH(QString, mode);
        const QString script =
            writeFile(QStringLiteral("bench.sql"), "\\set id random(1, 2)\n"
                                                   "SELECT name FROM github.repository WHERE id = :id;\n"
                                                   "SELECT :id::int + 1, 'x' || :id;\n");
        const ProcessResult r =
            runProcess(QStringLiteral("pgbench"),
                       {QStringLiteral("-n"), QStringLiteral("-f"), script, QStringLiteral("-T"), QStringLiteral("3"),
                        QStringLiteral("-c"), QStringLiteral("2"), QStringLiteral("-M"), mode, QStringLiteral("-h"),
                        QStringLiteral("127.0.0.1"), QStringLiteral("-p"), QString::number(m_proxy->port()),
                        QStringLiteral("-U"), m_endpoint.user, m_endpoint.database},
                       ProcessOptions());
        QVERIFY2(r.ok(), r.describe());
        const QRegularExpressionMatch processed =
            QRegularExpression(QStringLiteral("actually processed: (\\d+)")).match(QString::fromUtf8(r.out));
        QVERIFY2(processed.hasMatch() && processed.captured(1).toLongLong() > 100, r.describe());
        QVERIFY2(r.out.contains("number of failed transactions: 0"), r.describe());
        qInfo(
            "pgbench -M %s: %s", qPrintable(mode),
            qPrintable(QRegularExpression(QStringLiteral("tps = [0-9.]+")).match(QString::fromUtf8(r.out)).captured()));
    }

    void psycopg2Client() {
        const QString python = test::pythonWith(QStringLiteral("psycopg2"));
        if (python.isEmpty())
            QSKIP("python3-psycopg2 is not installed");
        runClient(python, {clientScript(QStringLiteral("psycopg2_client.py")), dsn(m_proxy->port())}, "OK psycopg2", 1);
    }

    void psycopg3Client() {
        const QString python = test::pythonWith(QStringLiteral("psycopg"));
        if (python.isEmpty())
            QSKIP("python3-psycopg is not installed");
        runClient(python, {clientScript(QStringLiteral("psycopg3_client.py")), dsn(m_proxy->port())}, "OK psycopg", 1);
    }

    void nodePgClient() {
        // node-postgres: plain, parameterised and named queries, its own cancel and a raw CancelRequest.
        const QString node = QStandardPaths::findExecutable(QStringLiteral("node"));
        if (node.isEmpty())
            QSKIP("node is not installed (Debian package nodejs)");
        const QString modules = QStringLiteral(HUBSYNC_NODE_MODULES);
        QVERIFY2(QFile::exists(modules + QStringLiteral("/pg/package.json")),
                 qPrintable(QStringLiteral("node-postgres is missing from %1: build the target hubsync_node_pg "
                                           "(npm install pg@8 into the build tree)")
                                .arg(modules)));
        runClient(node, {clientScript(QStringLiteral("node_pg_client.js")), dsn(m_proxy->port())}, "OK node-pg", 2,
                  ProcessOptions::withEnvironment({QStringLiteral("NODE_PATH=") + modules}));
    }

    void pgJdbcClient() {
        // pgJDBC in its default mode (named server-side statements from the 5th run of a PreparedStatement)
        // and with preferQueryMode=simple; Statement.cancel() for the cancel.
        const QString java = QStandardPaths::findExecutable(QStringLiteral("java"));
        if (java.isEmpty())
            QSKIP("java is not installed (Debian package default-jdk-headless)");
        const QString jar = QStringLiteral("/usr/share/java/postgresql.jar");
        QVERIFY2(QFile::exists(jar), "pgJDBC is missing: install the Debian package libpostgresql-jdbc-java");
        ProcessOptions options;
        options.timeoutMs = 120000; // compiles the source first
        runClient(java,
                  {QStringLiteral("-cp"), jar, clientScript(QStringLiteral("PgJdbcClient.java")), dsn(m_proxy->port())},
                  "OK pgjdbc", 2, options);
    }

    void cancelWithPsql() {
        // SIGINT makes psql send a CancelRequest on a new connection with the keys the proxy handed out.
        const quint64 before = m_proxy->stats().cancelsForwarded;
        const ProcessResult r = psql({QStringLiteral("-c"), QStringLiteral("SELECT pg_sleep(30)")},
                                     ProcessOptions::interruptingAfter(1000));
        QVERIFY2(r.finished, r.describe());
        QVERIFY2(QString::fromUtf8(r.err).contains(QStringLiteral("57014")), r.describe());
        QVERIFY2(r.elapsedMs < 8000, r.describe());
        QCOMPARE(m_proxy->stats().cancelsForwarded, before + 1);
    }

    void cancelWithUnknownKeyIsIgnored() {
        RawClient client;
        QVERIFY(client.connectTo(m_proxy->port()));
        const quint64 before = m_proxy->stats().cancelsIgnored;
        client.send(protocol::CancelRequest{12345, QByteArray("abcd")}.encode());
        QVERIFY(client.waitDisconnected());
        QCOMPARE(m_proxy->stats().cancelsIgnored, before + 1);
    }

    void authentication_data() {
        QTest::addColumn<QString>("user");
        QTest::newRow("md5") << QString::fromLatin1(test::PasswordCluster::md5User);
        QTest::newRow("scram-sha-256") << QString::fromLatin1(test::PasswordCluster::scramUser);
    }

    void authentication() {
        QFETCH(QString, user);
        static test::PasswordCluster cluster;
        static const QString error = cluster.start();
        QVERIFY2(error.isEmpty(), qPrintable(error));
        std::unique_ptr<ProxyServer> proxy = startProxy(optionsFor(UpstreamTarget{cluster.socketDirectory(), 5432}));
        QVERIFY(proxy);
        const QString target = QStringLiteral("host=127.0.0.1 port=%1 dbname=postgres user=%2 connect_timeout=10")
                                   .arg(proxy->port())
                                   .arg(user);
        const ProcessResult good =
            runProcess(QStringLiteral("psql"),
                       {QStringLiteral("-X"), QStringLiteral("-A"), QStringLiteral("-t"), QStringLiteral("-d"), target,
                        QStringLiteral("-c"), QStringLiteral("SELECT current_user")},
                       ProcessOptions::withEnvironment(
                           {QStringLiteral("PGPASSWORD=") + QString::fromUtf8(test::PasswordCluster::password)}));
        QVERIFY2(good.ok(), good.describe());
        QCOMPARE(good.out.trimmed(), user.toUtf8());
        // A connection that proved a password is never kept for the next client (serverpool.h).
        QTRY_COMPARE(proxy->stats().activeSessions, 0);
        QCOMPARE(proxy->stats().serversKept, 0);

        const ProcessResult bad = runProcess(
            QStringLiteral("psql"),
            {QStringLiteral("-X"), QStringLiteral("-d"), target, QStringLiteral("-c"), QStringLiteral("SELECT 1")},
            ProcessOptions::withEnvironment({QStringLiteral("PGPASSWORD=wrong")}));
        QVERIFY2(bad.finished && bad.exitCode != 0, bad.describe());
        QVERIFY2(bad.err.contains("password authentication failed"), bad.describe());
    }

    void tls() {
        if (!QSslSocket::supportsSsl())
            QSKIP("Qt cannot load OpenSSL here");
        const QString cert = m_temp.filePath(QStringLiteral("cert.pem"));
        const QString key = m_temp.filePath(QStringLiteral("key.pem"));
        const ProcessResult made = runProcess(
            QStringLiteral("openssl"),
            {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"), QStringLiteral("rsa:2048"),
             QStringLiteral("-nodes"), QStringLiteral("-keyout"), key, QStringLiteral("-out"), cert,
             QStringLiteral("-days"), QStringLiteral("1"), QStringLiteral("-subj"), QStringLiteral("/CN=localhost")});
        if (!made.ok())
            QSKIP("openssl cannot make a test certificate");
        ProxyOptions options = optionsFor(databaseTarget());
        options.tlsCertificateFile = cert;
        options.tlsKeyFile = key;
        std::unique_ptr<ProxyServer> proxy = startProxy(options);
        QVERIFY(proxy);
        const ProcessResult encrypted =
            runProcess(QStringLiteral("psql"),
                       {QStringLiteral("-X"), QStringLiteral("-d"),
                        dsn(proxy->port(), {}, QStringLiteral("sslmode=require")), QStringLiteral("-c"),
                        QStringLiteral("\\conninfo"), QStringLiteral("-c"), QStringLiteral("SELECT 'over tls'")});
        QVERIFY2(encrypted.ok(), encrypted.describe());
        QVERIFY2(encrypted.out.contains("SSL connection"), encrypted.describe());
        QVERIFY2(encrypted.out.contains("over tls"), encrypted.describe());
        const ProcessResult plain = runProcess(
            QStringLiteral("psql"), {QStringLiteral("-X"), QStringLiteral("-A"), QStringLiteral("-t"),
                                     QStringLiteral("-d"), dsn(proxy->port(), {}, QStringLiteral("sslmode=disable")),
                                     QStringLiteral("-c"), QStringLiteral("SELECT 'plain'")});
        QVERIFY2(plain.ok(), plain.describe());
        // Without TLS configured, SSLRequest is answered 'N' and sslmode=require fails.
        const ProcessResult refused =
            runProcess(QStringLiteral("psql"), {QStringLiteral("-X"), QStringLiteral("-d"),
                                                dsn(m_proxy->port(), {}, QStringLiteral("sslmode=require")),
                                                QStringLiteral("-c"), QStringLiteral("SELECT 1")});
        QVERIFY2(refused.finished && refused.exitCode != 0, refused.describe());
        QVERIFY2(refused.err.contains("does not support SSL"), refused.describe());
    }

    void malformedStartup_data() {
        QTest::addColumn<QByteArray>("bytes");
        QByteArray version2(8, '\0');
        qToBigEndian<qint32>(8, version2.data());
        qToBigEndian<qint32>(protocol::makeProtocolVersion(2, 0), version2.data() + 4);
        QTest::newRow("protocol 2.0") << version2;
        QByteArray huge(8, '\0');
        qToBigEndian<qint32>(0x7fffffff, huge.data());
        QTest::newRow("huge length") << huge;
        QByteArray tiny(4, '\0');
        qToBigEndian<qint32>(2, tiny.data());
        QTest::newRow("length too small") << tiny;
    }

    void malformedStartup() {
        QFETCH(QByteArray, bytes);
        RawClient client;
        QVERIFY(client.connectTo(m_proxy->port()));
        client.send(bytes);
        const std::optional<protocol::Frame> error = client.waitFor('E');
        QVERIFY(error);
        QCOMPARE(errorField(*error, protocol::field::severity), QByteArray("FATAL"));
        QCOMPARE(errorField(*error, protocol::field::sqlState), QByteArray("08P01"));
        QVERIFY(client.waitDisconnected());
    }

    void malformedMessage_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::newRow("length below 4") << QByteArray("Q\x00\x00\x00\x02", 5);
        QTest::newRow("query without NUL") << QByteArray("Q\x00\x00\x00\x07"
                                                         "abc",
                                                         8);
        QTest::newRow("sync with payload") << QByteArray("S\x00\x00\x00\x05x", 6);
        QTest::newRow("startup packet after startup") << QByteArray("\x00\x00\x00\x08\x00\x03\x00\x00", 8);
    }

    void malformedMessage() {
        QFETCH(QByteArray, bytes);
        RawClient client;
        QVERIFY(client.connectTo(m_proxy->port()));
        QVERIFY(client.startup(m_endpoint.user, m_endpoint.database));
        client.send(bytes);
        const std::optional<protocol::Frame> error = client.waitFor('E');
        QVERIFY(error);
        QCOMPARE(errorField(*error, protocol::field::severity), QByteArray("FATAL"));
        QCOMPARE(errorField(*error, protocol::field::sqlState), QByteArray("08P01"));
        QVERIFY(client.waitDisconnected());
    }

    void maxConnections() {
        ProxyOptions options = optionsFor(databaseTarget());
        options.maxConnections = 1;
        std::unique_ptr<ProxyServer> proxy = startProxy(options);
        QVERIFY(proxy);
        auto first = std::make_unique<RawClient>();
        QVERIFY(first->connectTo(proxy->port()));
        QVERIFY(first->startup(m_endpoint.user, m_endpoint.database));
        RawClient second;
        QVERIFY(second.connectTo(proxy->port()));
        second.send(protocol::StartupMessage{protocol::protocolVersion30,
                                             {{"user", m_endpoint.user.toUtf8()}, {"database", "postgres"}}}
                        .encode());
        const std::optional<protocol::Frame> error = second.waitFor('E');
        QVERIFY(error);
        QCOMPARE(errorField(*error, protocol::field::sqlState), QByteArray("53300"));
        first.reset();
        QTRY_COMPARE(proxy->stats().activeSessions, 0);
        RawClient third;
        QVERIFY(third.connectTo(proxy->port()));
        QVERIFY(third.startup(m_endpoint.user, m_endpoint.database));
    }

    void idleTimeout() {
        ProxyOptions options = optionsFor(databaseTarget());
        options.limits.idleTimeoutMs = 300;
        std::unique_ptr<ProxyServer> proxy = startProxy(options);
        QVERIFY(proxy);
        RawClient client;
        QVERIFY(client.connectTo(proxy->port()));
        QVERIFY(client.startup(m_endpoint.user, m_endpoint.database));
        const std::optional<protocol::Frame> error = client.waitFor('E', 5000);
        QVERIFY(error);
        QCOMPARE(errorField(*error, protocol::field::sqlState), QByteArray("57P05"));
        QVERIFY(client.waitDisconnected());
    }

    void chainedOverTcp() {
        // A second proxy whose upstream is the first one over TCP: the TCP upstream path, and a cancel that
        // crosses two key mappings.
        std::unique_ptr<ProxyServer> outer =
            startProxy(optionsFor(UpstreamTarget{QStringLiteral("127.0.0.1"), m_proxy->port()}));
        QVERIFY(outer);
        const ProcessResult r = psql({QStringLiteral("-c"), QStringLiteral("SELECT 'twice'")}, {}, outer->port());
        QVERIFY2(r.ok(), r.describe());
        QCOMPARE(r.out.trimmed(), QByteArray("twice"));
        const ProcessResult cancelled = psql({QStringLiteral("-c"), QStringLiteral("SELECT pg_sleep(30)")},
                                             ProcessOptions::interruptingAfter(800), outer->port());
        QVERIFY2(QString::fromUtf8(cancelled.err).contains(QStringLiteral("57014")), cancelled.describe());
        QVERIFY2(cancelled.elapsedMs < 8000, cancelled.describe());
    }

    void backPressure() {
        // A client that stops reading: the proxy must stop reading the server instead of buffering the
        // whole result.
        RawClient client;
        client.socket().setReadBufferSize(64 * 1024);
        QVERIFY(client.connectTo(m_proxy->port()));
        QVERIFY(client.startup(m_endpoint.user, m_endpoint.database));
        constexpr int rows = 50000;
        client.send(protocol::Query{QByteArray("SELECT repeat('x', 1000) FROM generate_series(1, ") +
                                    QByteArray::number(rows) + ")"}
                        .encode());
        QTest::qWait(1500);
        const qint64 limit = m_proxy->options().limits.maxPendingBytes;
        for (const Session *session : m_proxy->sessions())
            QVERIFY2(session->pendingToClient() <= limit + 64 * 1024,
                     qPrintable(QStringLiteral("%1 bytes pending").arg(session->pendingToClient())));
        client.socket().setReadBufferSize(0);
        int dataRows = 0;
        for (;;) {
            const std::optional<protocol::Frame> frame = client.next(20000);
            QVERIFY(frame);
            if (frame->type == 'D') {
                QCOMPARE(frame->payload.size(), 2 + 4 + 1000);
                ++dataRows;
            }
            if (frame->type == 'Z')
                break;
        }
        QCOMPARE(dataRows, rows);
    }

    // Session pooling (serverpool.h): a client that ends cleanly leaves its server connection to the next
    // client with the same StartupMessage, and that client sees a fresh session.
    void serverConnectionKept() {
        std::unique_ptr<ProxyServer> proxy = startProxy(optionsFor(databaseTarget()));
        QVERIFY(proxy);
        const auto c = [](const char *sql) { return QStringList{QStringLiteral("-c"), QString::fromLatin1(sql)}; };
        const ProcessResult first = psql(
            c("SELECT pg_backend_pid()") + c("SET work_mem = '7MB'") + c("SET application_name = 'changed'") +
                c("PREPARE kept AS SELECT 1") + c("CREATE TEMP TABLE kept_temp (x int)") + c("LISTEN kept_channel") +
                c("SELECT pg_advisory_lock(4242)") + c("DECLARE kept_cursor CURSOR WITH HOLD FOR SELECT 1"),
            {}, proxy->port());
        QVERIFY2(first.ok(), first.describe());
        const QByteArray pid = first.out.split('\n').first();
        QVERIFY(pid.toInt() > 0);
        QTRY_COMPARE(proxy->stats().serversKept, 1);
        QCOMPARE(proxy->stats().serversReused, quint64(0));

        const ProcessResult second = psql(
            c("SELECT pg_backend_pid()") + c("SHOW work_mem") + c("SHOW application_name") +
                c("SELECT count(*) FROM pg_prepared_statements") + c("SELECT to_regclass('pg_temp.kept_temp')") +
                c("SELECT count(*) FROM pg_listening_channels()") +
                c("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") + c("SELECT count(*) FROM pg_cursors"),
            {}, proxy->port());
        QVERIFY2(second.ok(), second.describe());
        QCOMPARE(second.out, pid + "\n" + direct(QStringLiteral("SHOW work_mem")).toUtf8() + "\npsql\n0\n\n0\n0\n0\n");
        QCOMPARE(proxy->stats().serversReused, quint64(1));

        // Another startup (here another application_name) gets a connection of its own.
        const ProcessResult other =
            runProcess(QStringLiteral("psql"),
                       {QStringLiteral("-X"), QStringLiteral("-A"), QStringLiteral("-t"), QStringLiteral("-d"),
                        dsn(proxy->port(), {}, QStringLiteral("application_name=other")), QStringLiteral("-c"),
                        QStringLiteral("SELECT pg_backend_pid()")});
        QVERIFY2(other.ok(), other.describe());
        QVERIFY(other.out.trimmed() != pid);
        QCOMPARE(proxy->stats().serversReused, quint64(1));
        QTRY_COMPARE(proxy->stats().serversKept, 2);
        proxy->close();
        QCOMPARE(proxy->stats().serversKept, 0);
    }

    void keptConnectionLooksNew() {
        // What a client is told at startup: the same parameters as the first client was (DISCARD ALL undid
        // the SET), the server's pid with a cancel key of its own, an idle ReadyForQuery.
        std::unique_ptr<ProxyServer> proxy = startProxy(optionsFor(databaseTarget()));
        QVERIFY(proxy);
        const auto parameters = [](const QList<protocol::Frame> &frames) {
            QMap<QByteArray, QByteArray> out;
            for (const protocol::Frame &frame : frames) {
                if (frame.type != protocol::ParameterStatus::type)
                    continue;
                if (const auto parameter = protocol::ParameterStatus::decode(frame.payload))
                    out.insert(parameter->name, parameter->value);
            }
            return out;
        };
        const auto key = [](const QList<protocol::Frame> &frames) {
            for (const protocol::Frame &frame : frames) {
                if (frame.type != protocol::BackendKeyData::type)
                    continue;
                if (const auto keyData = protocol::BackendKeyData::decode(frame.payload))
                    return *keyData;
            }
            return protocol::BackendKeyData{};
        };
        QList<protocol::Frame> firstAnswers;
        {
            RawClient client;
            QVERIFY(client.connectTo(proxy->port()));
            QVERIFY(client.startup(m_endpoint.user, m_endpoint.database, 5000, &firstAnswers));
            client.send(protocol::Query{"SET application_name = 'changed'; SET DateStyle = 'German'"}.encode());
            QCOMPARE(untilReady(client), QByteArray("CCSSZ:I"));
            client.send(protocol::Terminate{}.encode());
            QVERIFY(client.waitDisconnected());
        }
        QTRY_COMPARE(proxy->stats().serversKept, 1);
        RawClient client;
        QVERIFY(client.connectTo(proxy->port()));
        QList<protocol::Frame> answers;
        QVERIFY(client.startup(m_endpoint.user, m_endpoint.database, 5000, &answers));
        QCOMPARE(proxy->stats().serversReused, quint64(1));
        QCOMPARE(answers.first().type, 'R');
        QCOMPARE(answers.first().payload, QByteArray(4, '\0')); // AuthenticationOk
        QCOMPARE(answers.last().payload, QByteArray("I"));
        QVERIFY(parameters(firstAnswers).contains("server_version"));
        QCOMPARE(parameters(answers), parameters(firstAnswers));
        const protocol::BackendKeyData firstKey = key(firstAnswers);
        const protocol::BackendKeyData newKey = key(answers);
        QVERIFY(firstKey.processId != 0);
        QCOMPARE(newKey.processId, firstKey.processId);  // the same backend
        QVERIFY(newKey.secretKey != firstKey.secretKey); // a secret of the new session's own

        // The first client's key cancels nothing now; the new one cancels the new client's statement.
        const auto cancel = [this, &proxy](const protocol::BackendKeyData &keyData) {
            RawClient canceller;
            QVERIFY(canceller.connectTo(proxy->port()));
            canceller.send(protocol::CancelRequest{keyData.processId, keyData.secretKey}.encode());
            QVERIFY(canceller.waitDisconnected());
        };
        client.send(protocol::Query{"SELECT pg_sleep(20)"}.encode());
        QTest::qWait(200);
        cancel(firstKey);
        QTRY_COMPARE(proxy->stats().cancelsIgnored, quint64(1));
        QCOMPARE(proxy->stats().cancelsForwarded, quint64(0));
        cancel(newKey);
        QCOMPARE(untilReady(client), QByteArray("TE(57014)Z:I"));
        QCOMPARE(proxy->stats().cancelsForwarded, quint64(1));
    }

    void serverConnectionNotKept() {
        ProxyOptions options = optionsFor(databaseTarget());
        std::unique_ptr<ProxyServer> proxy = startProxy(options);
        QVERIFY(proxy);
        const auto leave = [&proxy, this](const QByteArray &sql, bool terminate) {
            RawClient client;
            QVERIFY(client.connectTo(proxy->port()));
            QVERIFY(client.startup(m_endpoint.user, m_endpoint.database));
            if (!sql.isEmpty()) {
                client.send(protocol::Query{sql}.encode());
                untilReady(client);
            }
            if (terminate)
                client.send(protocol::Terminate{}.encode());
            else
                client.socket().abort();
            QTRY_COMPARE(proxy->stats().activeSessions, 0);
        };
        leave("BEGIN", true);                 // inside a transaction block
        leave("SELECT 1", false);             // without Terminate
        leave("COPY notes FROM STDIN", true); // in the middle of COPY
        QCOMPARE(proxy->stats().serversKept, 0);

        // Pooling off.
        options.serverIdleTimeoutMs = 0;
        proxy = startProxy(options);
        QVERIFY(proxy);
        leave("SELECT 1", true);
        QCOMPARE(proxy->stats().serversKept, 0);
    }

    void keptConnectionEnds() {
        // Kept connections go when the server ends them, when they were idle too long, and when there are more
        // than the pool's size.
        ProxyOptions options = optionsFor(databaseTarget());
        options.serverPoolSize = 1;
        options.serverIdleTimeoutMs = 1500;
        std::unique_ptr<ProxyServer> proxy = startProxy(options);
        QVERIFY(proxy);
        const auto pidOf = [&proxy, this] {
            const ProcessResult r =
                psql({QStringLiteral("-c"), QStringLiteral("SELECT pg_backend_pid()")}, {}, proxy->port());
            return r.ok() ? r.out.trimmed() : QByteArray(r.describe());
        };
        const QByteArray pid = pidOf();
        QTRY_COMPARE(proxy->stats().serversKept, 1);
        QCOMPARE(direct(QStringLiteral("SELECT pg_terminate_backend(%1)").arg(QString::fromLatin1(pid))),
                 QStringLiteral("t"));
        QTRY_COMPARE(proxy->stats().serversKept, 0);
        const QByteArray next = pidOf();
        QVERIFY(next != pid);
        QCOMPARE(proxy->stats().serversReused, quint64(0));
        QTRY_COMPARE(proxy->stats().serversKept, 1);
        QTRY_COMPARE_WITH_TIMEOUT(proxy->stats().serversKept, 0, 5000); // idle timeout

        RawClient a;
        RawClient b;
        for (RawClient *client : {&a, &b}) {
            QVERIFY(client->connectTo(proxy->port()));
            QVERIFY(client->startup(m_endpoint.user, m_endpoint.database));
        }
        for (RawClient *client : {&a, &b})
            client->send(protocol::Terminate{}.encode());
        QTRY_COMPARE(proxy->stats().activeSessions, 0);
        QTest::qWait(200);
        QCOMPARE(proxy->stats().serversKept, 1);
    }

    void stats() {
        const ProxyStats stats = m_proxy->stats();
        QVERIFY(stats.connectionsAccepted >= stats.sessionsStarted);
        QVERIFY(stats.sessionsStarted > 10);
        QVERIFY(stats.statementsRefused >= 9);
        QVERIFY(stats.cancelsForwarded >= 2);
        QVERIFY(stats.bytesFromClients > 0);
        QVERIFY(stats.bytesToClients > 50 * 1000 * 1000);
        QTRY_COMPARE(m_proxy->stats().activeSessions, 0);
    }
};

HUBSYNC_PROXY_TEST_MAIN(TestProxy)
#include "tst_proxy.moc"
