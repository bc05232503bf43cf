#include "store/pg.h"

#include <QPair>
#include <QRegularExpression>
#include <QtEndian>

#include <libpq-fe.h>

#include <cstring>
#include <utility>
#include <vector>

namespace hubsync::pg {

Result::Result(pg_result *result)
    : m_result(result) {}

Result::~Result() {
    if (m_result)
        PQclear(m_result);
}

Result Result::failure(const QString &sqlState, const QString &message) {
    Result result;
    result.m_failureState = sqlState;
    result.m_failureMessage = message;
    return result;
}

Result::Result(Result &&other) noexcept
    : m_result(std::exchange(other.m_result, nullptr))
    , m_failureState(std::exchange(other.m_failureState, {}))
    , m_failureMessage(std::exchange(other.m_failureMessage, {})) {}

Result &Result::operator=(Result &&other) noexcept {
    if (this != &other) {
        if (m_result)
            PQclear(m_result);
        m_result = std::exchange(other.m_result, nullptr);
        m_failureState = std::exchange(other.m_failureState, {});
        m_failureMessage = std::exchange(other.m_failureMessage, {});
    }
    return *this;
}

bool Result::ok() const {
    if (!m_result)
        return false;
    const ExecStatusType status = PQresultStatus(m_result);
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_COPY_IN;
}

int Result::rows() const {
    return m_result ? PQntuples(m_result) : 0;
}
int Result::columns() const {
    return m_result ? PQnfields(m_result) : 0;
}
bool Result::isNull(int row, int column) const {
    return !m_result || PQgetisnull(m_result, row, column);
}

QString Result::text(int row, int column) const {
    return QString::fromUtf8(bytes(row, column));
}

QByteArray Result::bytes(int row, int column) const {
    if (isNull(row, column))
        return {};
    return QByteArray(PQgetvalue(m_result, row, column), PQgetlength(m_result, row, column));
}

qint64 Result::toInt(int row, int column) const {
    return bytes(row, column).toLongLong();
}

int Result::columnIndex(const char *name) const {
    return m_result ? PQfnumber(m_result, name) : -1;
}

qint64 Result::affectedRows() const {
    return m_result ? QByteArray(PQcmdTuples(m_result)).toLongLong() : 0;
}

QString Result::errorMessage() const {
    if (!m_failureMessage.isEmpty())
        return m_failureMessage;
    if (!m_result)
        return QStringLiteral("no result (connection lost?)");
    return QString::fromUtf8(PQresultErrorMessage(m_result)).trimmed();
}

QString Result::sqlState() const {
    if (!m_result)
        return m_failureState;
    const char *state = PQresultErrorField(m_result, PG_DIAG_SQLSTATE);
    return state ? QString::fromLatin1(state) : QString();
}

Connection::~Connection() {
    close();
}

Connection::Connection(Connection &&other) noexcept
    : m_conn(std::exchange(other.m_conn, nullptr))
    , m_state(std::exchange(other.m_state, {})) {}

Connection &Connection::operator=(Connection &&other) noexcept {
    if (this != &other) {
        close();
        m_conn = std::exchange(other.m_conn, nullptr);
        m_state = std::exchange(other.m_state, {});
    }
    return *this;
}

Error Connection::open(const QString &conninfo, int connectTimeoutSeconds) {
    close();
    // Expand the caller's conninfo with our defaults; the caller's keys win because libpq takes the last.
    const QByteArray dsn = conninfo.toUtf8();
    const QByteArray timeout = QByteArray::number(connectTimeoutSeconds);
    const char *keys[] = {"dbname", "connect_timeout", "application_name", "client_encoding", nullptr};
    const char *values[] = {dsn.constData(), timeout.constData(), "hubsync", "UTF8", nullptr};
    m_conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
    return established();
}

Error Connection::openLike(const Connection &other) {
    close();
    if (!other.m_conn)
        return databaseError(QStringLiteral("connect"), QStringLiteral("not connected"));
    PQconninfoOption *options = PQconninfo(other.m_conn);
    if (!options)
        return databaseError(QStringLiteral("connect"), QStringLiteral("out of memory"));
    std::vector<const char *> keys;
    std::vector<const char *> values;
    for (PQconninfoOption *o = options; o->keyword; ++o) {
        if (o->val && *o->val) {
            keys.push_back(o->keyword);
            values.push_back(o->val);
        }
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    m_conn = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/0);
    PQconninfoFree(options);
    return established();
}

Error Connection::established() {
    if (!m_conn)
        return databaseError(QStringLiteral("connect"), QStringLiteral("out of memory"));
    if (PQstatus(m_conn) != CONNECTION_OK) {
        const QString message = lastError();
        close();
        return databaseError(QStringLiteral("connect"), message);
    }
    // Server NOTICEs (e.g. "relation already exists, skipping") are expected chatter, not user output.
    PQsetNoticeProcessor(
        m_conn, [](void *, const char *) {}, nullptr);
    return {};
}

void Connection::close() {
    m_state = {};
    if (m_conn) {
        PQfinish(m_conn);
        m_conn = nullptr;
    }
}

bool Connection::isOpen() const {
    return m_conn && PQstatus(m_conn) == CONNECTION_OK;
}

Error Connection::addSessionSetup(const QString &sql) {
    if (Error e = run(sql))
        return e;
    if (!m_state.setup.contains(sql))
        m_state.setup << sql;
    return {};
}

bool Connection::sessionLost() {
    if (PQstatus(m_conn) == CONNECTION_BAD)
        return true;
    // A server that ended the session left its FATAL message and end-of-file in the socket; reading them
    // (libpq's socket never blocks here) marks the connection bad. Twice, because one read may stop
    // before the end-of-file that follows the message.
    for (int i = 0; i < 2 && PQstatus(m_conn) == CONNECTION_OK; ++i)
        PQconsumeInput(m_conn);
    return PQstatus(m_conn) == CONNECTION_BAD;
}

Error Connection::reopen() {
    // While the server stays away, each statement would wait for a connection attempt (up to
    // connect_timeout): try at most every reopenIntervalMs, and fail fast in between.
    if (m_state.reopenClock.isValid() && m_state.reopenClock.elapsed() < reopenIntervalMs)
        return databaseError(
            QStringLiteral("reconnect"),
            QStringLiteral("the database connection is lost (%1); trying again shortly").arg(m_state.lostReason));
    m_state.reopenClock.start();
    m_state.prepared.clear();
    PQreset(m_conn);
    if (PQstatus(m_conn) != CONNECTION_OK)
        return databaseError(QStringLiteral("reconnect"),
                             QStringLiteral("the database connection was lost (%1) and could not be opened again: %2")
                                 .arg(m_state.lostReason, lastError()));
    ++m_state.reconnects;
    m_state.needsSetup = true;
    return replaySetup();
}

Error Connection::replaySetup() {
    for (const QString &sql : std::as_const(m_state.setup)) {
        const Result r(PQexec(m_conn, sql.toUtf8().constData()));
        if (!r.ok()) // stays pending: the next statement tries again rather than run without the settings
            return databaseError(QStringLiteral("session set-up after reconnecting"), r.errorMessage());
    }
    m_state.needsSetup = false;
    m_state.reopenClock.invalidate();
    m_state.lostReason.clear();
    return {};
}

namespace {

// The statement's first two keywords, upper-cased ("ROLLBACK", "TO"), past leading blanks and comments.
QPair<QString, QString> leadingKeywords(const QString &sql) {
    static const QRegularExpression keywords(
        QStringLiteral("^(?:\\s|--[^\\n]*\\n|/\\*.*?\\*/)*([A-Za-z]+)(?:\\s+([A-Za-z]+))?"),
        QRegularExpression::DotMatchesEverythingOption);
    const QRegularExpressionMatch m = keywords.match(sql);
    return {m.captured(1).toUpper(), m.captured(2).toUpper()};
}

} // namespace

std::optional<Result> Connection::beforeStatement(const QString &sql) {
    if (!m_conn)
        return Result::failure(QStringLiteral("08003"), QStringLiteral("not connected to the database"));
    if (sessionLost()) {
        if (m_state.lostReason.isEmpty())
            m_state.lostReason = lastError().isEmpty() ? QStringLiteral("the server closed the session") : lastError();
        // Recorded before anything else can fail: a transaction that was open is gone, whatever happens
        // next, and nothing may run as if it were still open (that would commit half of it).
        if (m_state.inTransaction && m_state.lostTransaction.isEmpty())
            m_state.lostTransaction = m_state.lostReason;
        m_state.inTransaction = false;
        if (Error e = reopen())
            return Result::failure(QStringLiteral("08006"), e.message);
    } else if (m_state.needsSetup) {
        if (Error e = replaySetup())
            return Result::failure(QStringLiteral("08006"), e.message);
    }
    if (m_state.lostTransaction.isEmpty())
        return std::nullopt;
    const auto [verb, next] = leadingKeywords(sql);
    const bool nested = next == QLatin1String("TO") || next == QLatin1String("PREPARED");
    if ((verb == QLatin1String("ROLLBACK") || verb == QLatin1String("ABORT")) && !nested) {
        m_state.lostTransaction.clear(); // the transaction is gone already; ROLLBACK on the new session is a no-op
        return std::nullopt;
    }
    const QString message = QStringLiteral("the database connection was lost inside a transaction, whose changes "
                                           "were rolled back (%1)")
                                .arg(m_state.lostTransaction);
    // COMMIT ends the transaction, as it ends an aborted one on the server, but it fails: nothing committed.
    if ((verb == QLatin1String("COMMIT") || verb == QLatin1String("END")) && !nested) {
        m_state.lostTransaction.clear();
        return Result::failure(QStringLiteral("08006"), message);
    }
    return Result::failure(QStringLiteral("08006"), message + QStringLiteral("; statements fail until ROLLBACK"));
}

void Connection::noteTransactionStatus() {
    // Unknown once the connection broke, and in COPY: what was known before still holds.
    const PGTransactionStatusType status = PQtransactionStatus(m_conn);
    if (status == PQTRANS_IDLE || status == PQTRANS_INTRANS || status == PQTRANS_INERROR)
        m_state.inTransaction = status != PQTRANS_IDLE;
}

Result Connection::finished(Result result) {
    noteTransactionStatus();
    return result;
}

Result Connection::exec(const QString &sql) {
    if (auto refused = beforeStatement(sql))
        return std::move(*refused);
    return finished(Result(PQexec(m_conn, sql.toUtf8().constData())));
}

Result Connection::execParams(const QString &sql, const Params &params) {
    if (auto refused = beforeStatement(sql))
        return std::move(*refused);
    std::vector<const char *> values;
    std::vector<int> lengths;
    values.reserve(static_cast<size_t>(params.size()));
    lengths.reserve(static_cast<size_t>(params.size()));
    for (const Param &p : params) {
        values.push_back(p ? p->constData() : nullptr);
        lengths.push_back(p ? static_cast<int>(p->size()) : 0);
    }
    return finished(Result(PQexecParams(m_conn, sql.toUtf8().constData(), static_cast<int>(params.size()), nullptr,
                                        values.data(), lengths.data(), nullptr, 0)));
}

Error Connection::run(const QString &sql, const Params &params, const QString &purpose) {
    const Result result = params.isEmpty() ? exec(sql) : execParams(sql, params);
    if (result.ok())
        return {};
    return databaseError(purpose.isEmpty() ? sql.left(60) : purpose,
                         result.errorMessage().isEmpty() ? lastError() : result.errorMessage());
}

Error Connection::copyIn(const QString &copySql, const QByteArray &data) {
    if (auto refused = beforeStatement(copySql))
        return databaseError(QStringLiteral("copy"), refused->errorMessage());
    Result start = finished(Result(PQexec(m_conn, copySql.toUtf8().constData())));
    if (!start.ok())
        return databaseError(QStringLiteral("copy"), start.errorMessage());
    if (PQputCopyData(m_conn, data.constData(), static_cast<int>(data.size())) != 1 ||
        PQputCopyEnd(m_conn, nullptr) != 1)
        return databaseError(QStringLiteral("copy"), lastError());
    Error error;
    while (pg_result *r = PQgetResult(m_conn)) {
        Result result(r);
        if (!result.ok() && !error)
            error = databaseError(QStringLiteral("copy"), result.errorMessage());
    }
    noteTransactionStatus();
    return error;
}

Result Connection::execPrepared(const QString &sql, const QList<QByteArray> &binaryParams) {
    if (auto refused = beforeStatement(sql))
        return std::move(*refused);
    const int count = static_cast<int>(binaryParams.size());
    auto it = m_state.prepared.constFind(sql);
    if (it == m_state.prepared.cend()) {
        const QByteArray name = "hubsync_" + QByteArray::number(m_state.prepared.size() + 1);
        Result prepared(PQprepare(m_conn, name.constData(), sql.toUtf8().constData(), count, nullptr));
        if (!prepared.ok())
            return finished(std::move(prepared));
        it = m_state.prepared.insert(sql, name);
    }
    std::vector<const char *> values;
    std::vector<int> lengths;
    const std::vector<int> formats(static_cast<size_t>(count), 1);
    values.reserve(static_cast<size_t>(count));
    lengths.reserve(static_cast<size_t>(count));
    for (const QByteArray &p : binaryParams) {
        values.push_back(p.constData());
        lengths.push_back(static_cast<int>(p.size()));
    }
    return finished(Result(
        PQexecPrepared(m_conn, it.value().constData(), count, values.data(), lengths.data(), formats.data(), 0)));
}

void BinaryTextArray::append(const std::optional<QByteArray> &value) {
    ++m_count;
    const qint32 length = value ? static_cast<qint32>(value->size()) : -1;
    char be[4];
    qToBigEndian(length, be);
    m_elements.append(be, 4);
    if (value)
        m_elements.append(*value);
    else
        m_hasNull = true;
}

QByteArray BinaryTextArray::take() {
    constexpr qint32 textOid = 25;
    const qint32 header[] = {m_count > 0 ? 1 : 0, m_hasNull ? 1 : 0, textOid, m_count,
                             1}; // ndim, flags, type, n, lbound
    const int headerWords = m_count > 0 ? 5 : 3;
    QByteArray out;
    out.reserve(headerWords * 4 + m_elements.size());
    for (int i = 0; i < headerWords; ++i) {
        char be[4];
        qToBigEndian(header[i], be);
        out.append(be, 4);
    }
    out.append(m_elements);
    m_elements.clear();
    m_count = 0;
    m_hasNull = false;
    return out;
}

QString Connection::quoteIdentifier(const QString &identifier) const {
    QString quoted = identifier;
    quoted.replace(QLatin1Char('"'), QStringLiteral("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

QString Connection::lastError() const {
    return m_conn ? QString::fromUtf8(PQerrorMessage(m_conn)).trimmed() : QStringLiteral("not connected");
}

bool Connection::inTransaction() const {
    if (!m_state.lostTransaction.isEmpty())
        return true;
    if (!m_conn)
        return false;
    const PGTransactionStatusType status = PQtransactionStatus(m_conn);
    if (status == PQTRANS_UNKNOWN) // the connection broke: a transaction open before is open (and lost)
        return m_state.inTransaction;
    return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
}

bool Connection::transactionFailed() const {
    if (!m_state.lostTransaction.isEmpty())
        return true;
    if (!m_conn)
        return false;
    const PGTransactionStatusType status = PQtransactionStatus(m_conn);
    return status == PQTRANS_INERROR || (status == PQTRANS_UNKNOWN && m_state.inTransaction);
}

ImplicitTransaction::ImplicitTransaction(Connection &connection)
    : m_connection(connection) {}

Error ImplicitTransaction::begin() {
    if (m_connection.inTransaction())
        return {};
    m_owned = true;
    return m_connection.run(QStringLiteral("BEGIN"));
}

Error ImplicitTransaction::commit() {
    if (!m_owned)
        return {};
    m_owned = false;
    return m_connection.run(QStringLiteral("COMMIT"));
}

ImplicitTransaction::~ImplicitTransaction() {
    if (m_owned)
        m_connection.exec(QStringLiteral("ROLLBACK"));
}

int Connection::serverVersion() const {
    return m_conn ? PQserverVersion(m_conn) : 0;
}

QString Connection::versionText(int version) {
    if (version <= 0)
        return {};
    if (version >= 100000) // since PostgreSQL 10: major * 10000 + minor
        return QStringLiteral("%1.%2").arg(version / 10000).arg(version % 10000);
    return QStringLiteral("%1.%2.%3").arg(version / 10000).arg(version / 100 % 100).arg(version % 100);
}

QString Connection::libraryVersion() {
    return versionText(PQlibVersion());
}

QString conninfoWithoutPassword(const QString &conninfo, QString *password) {
    char *error = nullptr;
    PQconninfoOption *options = PQconninfoParse(conninfo.toUtf8().constData(), &error);
    if (!options) {
        PQfreemem(error);
        return conninfo; // not a connection string psql would take either: it says so itself
    }
    QStringList kept;
    for (PQconninfoOption *o = options; o->keyword; ++o) {
        if (!o->val)
            continue;
        QString value = QString::fromUtf8(o->val);
        if (qstrcmp(o->keyword, "password") == 0) {
            *password = value;
            continue;
        }
        value.replace(QLatin1Char('\\'), QStringLiteral("\\\\")).replace(QLatin1Char('\''), QStringLiteral("\\'"));
        kept << QString::fromLatin1(o->keyword) + QStringLiteral("='") + value + QLatin1Char('\'');
    }
    PQconninfoFree(options);
    return kept.join(QLatin1Char(' '));
}

DatabaseEndpoint endpointOf(const QString &conninfo) {
    DatabaseEndpoint endpoint;
    char *error = nullptr;
    PQconninfoOption *options = PQconninfoParse(conninfo.toUtf8().constData(), &error);
    if (!options) {
        PQfreemem(error);
        return endpoint;
    }
    for (PQconninfoOption *o = options; o->keyword; ++o) {
        const QString value = QString::fromUtf8(o->val ? o->val : o->compiled ? o->compiled : "");
        const QByteArray key(o->keyword);
        if (key == "host" && !value.isEmpty())
            endpoint.host = value;
        else if (key == "hostaddr" && endpoint.host.isEmpty() && !value.isEmpty())
            endpoint.host = value;
        else if (key == "port" && !value.isEmpty())
            endpoint.port = value.toInt();
        else if (key == "dbname")
            endpoint.database = value;
        else if (key == "user")
            endpoint.user = value;
        else if (key == "password")
            endpoint.password = value;
    }
    PQconninfoFree(options);
    if (endpoint.host.isEmpty())
        endpoint.host = QStringLiteral("/var/run/postgresql");
    if (endpoint.user.isEmpty())
        endpoint.user = qEnvironmentVariable("PGUSER", qEnvironmentVariable("USER"));
    if (endpoint.database.isEmpty())
        endpoint.database = endpoint.user;
    return endpoint;
}

void copyEscape(QByteArray &out, const QByteArray &value) {
    // Runs without special characters are appended whole: most values have none. (No reserve() here: an
    // exact reserve per value would defeat QByteArray's geometric growth and copy the buffer every call.)
    const char *p = value.constData();
    const char *const end = p + value.size();
    const char *run = p;
    for (; p != end; ++p) {
        const char c = *p;
        if (c != '\\' && c != '\t' && c != '\n' && c != '\r')
            continue;
        out.append(run, p - run);
        const char escaped[2] = {'\\', c == '\\' ? '\\' : c == '\t' ? 't' : c == '\n' ? 'n' : 'r'};
        out.append(escaped, 2);
        run = p + 1;
    }
    out.append(run, end - run);
}

Error databaseError(const QString &purpose, const QString &message) {
    return Error::make(Error::Kind::Database, QStringLiteral("database error during %1: %2").arg(purpose, message));
}

} // namespace hubsync::pg
