#pragma once

#include "core/errors.h"
#include "core/events.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QHash>
#include <QList>
#include <QString>

#include <memory>
#include <optional>

struct pg_conn;
struct pg_result;

namespace hubsync::pg {

// A query parameter in text format; std::nullopt is SQL NULL.
using Param = std::optional<QByteArray>;
using Params = QList<Param>;

inline Param param(const QString &s) {
    return s.toUtf8();
}
inline Param param(qint64 v) {
    return QByteArray::number(v);
}
inline Param nullParam() {
    return std::nullopt;
}

// Owns one PGresult. Values are read as text (the format libpq returns for text queries).
class Result final {
public:
    Result() = default;
    explicit Result(pg_result *result);
    // A statement that was not sent (see Connection's lost sessions), with its SQLSTATE and message.
    static Result failure(const QString &sqlState, const QString &message);
    ~Result();
    Result(Result &&other) noexcept;
    Result &operator=(Result &&other) noexcept;
    Q_DISABLE_COPY(Result)

    [[nodiscard]] bool ok() const;
    [[nodiscard]] int rows() const;
    [[nodiscard]] int columns() const;
    [[nodiscard]] bool isNull(int row, int column) const;
    [[nodiscard]] QString text(int row, int column) const;
    [[nodiscard]] QByteArray bytes(int row, int column) const;
    [[nodiscard]] qint64 toInt(int row, int column) const;
    [[nodiscard]] int columnIndex(const char *name) const;
    [[nodiscard]] qint64 affectedRows() const;
    [[nodiscard]] QString errorMessage() const;
    [[nodiscard]] QString sqlState() const;

private:
    pg_result *m_result = nullptr;
    QString m_failureState;
    QString m_failureMessage;
};

// Owns one libpq connection. Every statement with values goes through execParams: no SQL is ever built
// by concatenating values (identifiers are quoted with quoteIdentifier()).
//
// A session the server ends (a restart, idle_session_timeout, pg_terminate_backend) is noticed before the
// next statement is sent: an idle session is opened again with the same parameters, its session set-up
// (addSessionSetup()) is replayed, and the statement runs as if nothing happened. A session that died
// inside a transaction took the transaction's work with it, so, like PostgreSQL's own aborted
// transactions, every statement then fails (SQLSTATE 08006) until the caller's ROLLBACK. A statement the
// failure interrupts fails as it would anyway and is never repeated: it may have committed.
class Connection final {
public:
    Connection() = default;
    ~Connection();
    Connection(Connection &&other) noexcept;
    Connection &operator=(Connection &&other) noexcept;
    Q_DISABLE_COPY(Connection)

    // Connects with a libpq conninfo string or URI. Returns a Database error with libpq's message.
    Error open(const QString &conninfo, int connectTimeoutSeconds = 10);
    // Opens a second session to the server and database `other` is connected to, with its parameters
    // (credentials included, never turned into a string).
    Error openLike(const Connection &other);
    void close();
    [[nodiscard]] bool isOpen() const;
    // Runs a session-level statement (e.g. a SET) now, and again on every session opened after a lost one.
    Error addSessionSetup(const QString &sql);
    // How many times a lost session was opened again.
    [[nodiscard]] int reconnects() const { return m_state.reconnects; }

    Result exec(const QString &sql);
    Result execParams(const QString &sql, const Params &params);
    // Runs a statement and turns a failure into an Error (Kind::Database) that names the statement's purpose.
    Error run(const QString &sql, const Params &params = {}, const QString &purpose = {});

    // COPY ... FROM STDIN in text format; rows must already be escaped with copyEscape().
    Error copyIn(const QString &copySql, const QByteArray &data);

    // Runs a statement that is prepared once per connection (kept by its SQL text) with every parameter in
    // binary format, typed by the casts in the SQL (e.g. `$1::text[]` with a BinaryTextArray). For the bulk
    // upserts, which run the same few statements for every page: parsed and planned once, and their
    // values need no escaping on either side.
    Result execPrepared(const QString &sql, const QList<QByteArray> &binaryParams);

    // True inside BEGIN .. COMMIT (including a failed transaction).
    [[nodiscard]] bool inTransaction() const;
    // True inside a transaction that a failed statement aborted (COMMIT would only roll it back).
    [[nodiscard]] bool transactionFailed() const;

    [[nodiscard]] QString quoteIdentifier(const QString &identifier) const;
    [[nodiscard]] QString lastError() const;
    [[nodiscard]] int serverVersion() const;
    // A PQserverVersion()/PQlibVersion() number as people write it: 150008 -> "15.8", 90624 -> "9.6.24".
    static QString versionText(int version);
    // The libpq this program runs with.
    static QString libraryVersion();
    pg_conn *handle() const { return m_conn; }

private:
    Error established(); // status check and session set-up after PQconnectdbParams
    // Before every statement: notices a lost session and opens a new one. Returns the result to give the
    // caller instead of running `sql`, if any.
    std::optional<Result> beforeStatement(const QString &sql);
    [[nodiscard]] bool sessionLost();
    Error reopen();
    Error replaySetup();
    void noteTransactionStatus();   // after every statement: remembers whether a transaction is open
    Result finished(Result result); // noteTransactionStatus(), then the result
    static constexpr int reopenIntervalMs = 2000;

    pg_conn *m_conn = nullptr;
    // Everything since open(), reset by close(); a reopened session keeps all but the prepared statements.
    struct State {
        QHash<QString, QByteArray> prepared; // SQL -> statement name, for this session only
        QStringList setup;                   // addSessionSetup() statements, replayed on every new session
        bool inTransaction = false;          // as of the last statement's answer
        QString lostTransaction;             // why, while statements fail until ROLLBACK; empty otherwise
        QString lostReason;                  // why the session was lost, until a new one is set up
        bool needsSetup = false;             // a new session whose set-up statements have not all run yet
        QElapsedTimer reopenClock;           // since the last attempt to open a new session
        int reconnects = 0;
    };
    State m_state;
};

// A one-dimensional text[] in PostgreSQL's binary array format (what array_recv reads): a header and
// every element as length + bytes, so values go to the server as they are, without any quoting.
class BinaryTextArray final {
public:
    void reserve(qsizetype bytes) { m_elements.reserve(bytes); }
    void append(const std::optional<QByteArray> &value);
    [[nodiscard]] int count() const { return m_count; }
    // The complete array value; the builder is empty afterwards.
    [[nodiscard]] QByteArray take();

private:
    QByteArray m_elements;
    int m_count = 0;
    bool m_hasNull = false;
};

// Opens a transaction unless one is already open; commits on commit(), rolls back otherwise.
class ImplicitTransaction final {
public:
    explicit ImplicitTransaction(Connection &connection);
    ~ImplicitTransaction();
    Q_DISABLE_COPY_MOVE(ImplicitTransaction)
    [[nodiscard]] Error begin();
    [[nodiscard]] Error commit();

private:
    Connection &m_connection;
    bool m_owned = false;
};

// The host/port/database/user/password a libpq conninfo or URI names (libpq's defaults filled in).
DatabaseEndpoint endpointOf(const QString &conninfo);
// The same connection string without its password (which goes to *password), so that it can be shown or
// passed on a command line; every other parameter is kept.
QString conninfoWithoutPassword(const QString &conninfo, QString *password);

// Escapes one value for COPY text format (backslash, tab, newline, carriage return).
void copyEscape(QByteArray &out, const QByteArray &value);
Error databaseError(const QString &purpose, const QString &message);

} // namespace hubsync::pg
