#pragma once

// The decision point between the client and PostgreSQL: before a session forwards a Query or a Parse it
// classifies the SQL (classifier.h) and asks a StatementGate what to do. The default gate lets everything
// through except writes to synced tables; write-through replaces its answer for writes to the writable tables.

#include "proxy/classifier.h"
#include "proxy/protocol/errorfields.h"
#include "proxy/protocol/messages_backend.h"

#include <QByteArray>
#include <QSet>
#include <QString>

namespace hubsync::proxy {

// One statement as the gate sees it.
struct ClassifiedStatement final {
    enum class Source { SimpleQuery, Parse };

    Source source = Source::SimpleQuery;
    QByteArray statementName; // Parse only; empty for the unnamed statement
    QByteArray sql;           // as the client sent it (client encoding)
    Classification classification;
    // As of the last ReadyForQuery. A pipelined statement may run after earlier ones changed it.
    protocol::TransactionStatus transactionStatus = protocol::TransactionStatus::Idle;
};

struct GateDecision final {
    enum class Action {
        Forward,      // relay the message unchanged
        Refuse,       // answer with an ErrorResponse built from `error`, as PostgreSQL would for a failed statement
        WriteThrough, // a simple Query writing to a writable table: the session applies it to GitHub first
    };

    Action action = Action::Forward;
    protocol::ErrorFields error; // Refuse: S, V, C, M and usually D, H

    static GateDecision forward() { return {}; }
    static GateDecision refuse(protocol::ErrorFields fields) { return {Action::Refuse, std::move(fields)}; }
    static GateDecision writeThrough() { return {Action::WriteThrough, {}}; }
};

// Called on the session's thread for every Query and every Parse, in the order the client sent them.
// Implementations must answer quickly: the session waits for the decision before reading further.
class StatementGate {
public:
    virtual ~StatementGate() = default;
    virtual GateDecision decide(const ClassifiedStatement &statement) = 0;
    // Write-through to GitHub became available (ProxyServer::setWriteThrough): writes to the writable tables may pass.
    virtual void setWriteThroughEnabled(bool enabled) { Q_UNUSED(enabled) }
};

// Passes everything through, refuses writes to read-only synced tables (25006) and write forms that cannot
// be mapped to GitHub (0A000). Writes to a writable table (issue, comment, label, ...) go to
// write-through when it is enabled (a Query is intercepted here; a Parse passes and its Execute is
// intercepted by the session), else they are refused.
class DefaultStatementGate final : public StatementGate {
public:
    explicit DefaultStatementGate(QString schema);

    GateDecision decide(const ClassifiedStatement &statement) override;
    void setWriteThroughEnabled(bool enabled) override { m_writeThrough = enabled; }

private:
    QString m_schema;
    bool m_writeThrough = false;
};

// The synced table names (catalog::collections()), for StatementClassifier.
QSet<QString> syncedTableNames();

// An ErrorResponse's fields with S and V = ERROR.
protocol::ErrorFields errorFields(QByteArrayView sqlState, const QString &message, const QString &detail = {},
                                  const QString &hint = {});

} // namespace hubsync::proxy
