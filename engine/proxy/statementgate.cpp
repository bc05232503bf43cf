#include "proxy/statementgate.h"

#include "catalog/catalog.h"

namespace hubsync::proxy {

namespace {

QString commandName(Classification::Command command) {
    switch (command) {
    case Classification::Command::Insert:
        return QStringLiteral("INSERT");
    case Classification::Command::Update:
        return QStringLiteral("UPDATE");
    case Classification::Command::Delete:
        return QStringLiteral("DELETE");
    case Classification::Command::None:
        break;
    }
    return QStringLiteral("a write");
}

} // namespace

protocol::ErrorFields errorFields(QByteArrayView sqlState, const QString &message, const QString &detail,
                                  const QString &hint) {
    protocol::ErrorFields fields = protocol::ErrorFields::make("ERROR", sqlState, message.toUtf8());
    if (!detail.isEmpty())
        fields.set(protocol::field::detail, detail.toUtf8());
    if (!hint.isEmpty())
        fields.set(protocol::field::hint, hint.toUtf8());
    return fields;
}

QSet<QString> syncedTableNames() {
    QSet<QString> names;
    for (const catalog::Collection &collection : catalog::collections())
        names.insert(collection.table);
    return names;
}

DefaultStatementGate::DefaultStatementGate(QString schema)
    : m_schema(std::move(schema)) {}

GateDecision DefaultStatementGate::decide(const ClassifiedStatement &statement) {
    const Classification &c = statement.classification;
    const QString table = m_schema + QLatin1Char('.') + c.table;
    switch (c.kind) {
    case Classification::Kind::PassThrough:
        return GateDecision::forward();
    case Classification::Kind::ReadOnlyTable:
        // 25006 (read_only_sql_transaction): what PostgreSQL itself says for a write it will not accept
        // in the current context, so clients and ORMs already treat it as "do not retry".
        return GateDecision::refuse(errorFields(
            "25006", QStringLiteral("cannot write to %1: it is synced from GitHub and read-only").arg(table),
            c.reason + QLatin1Char('.'),
            QStringLiteral("Make the change on GitHub and HubSync will sync it into %1; keep your own data in tables "
                           "outside schema %2.")
                .arg(table, m_schema)));
    case Classification::Kind::Unsupported:
        return GateDecision::refuse(errorFields(
            "0A000", c.reason,
            QStringLiteral("The HubSync proxy applies each write to %1 as GitHub API calls, and this statement "
                           "cannot be translated into them.")
                .arg(table),
            QStringLiteral("Send one plain INSERT, UPDATE or DELETE on %1 per query string.").arg(table)));
    case Classification::Kind::Write:
        if (m_writeThrough) {
            if (statement.source == ClassifiedStatement::Source::Parse)
                return GateDecision::forward(); // a Parse changes nothing; its Execute is applied to GitHub
            if (c.statementCount > 1)
                return GateDecision::refuse(errorFields(
                    "0A000", QStringLiteral("a write to %1 must be the only statement of its query string").arg(table),
                    QStringLiteral(
                        "The HubSync proxy applies it to GitHub before PostgreSQL, one statement at a time."),
                    QStringLiteral("Send the %1 as a query of its own (BEGIN and COMMIT around it work).")
                        .arg(commandName(c.command))));
            return GateDecision::writeThrough();
        }
        return GateDecision::refuse(
            errorFields("0A000", QStringLiteral("write-through to GitHub is not enabled in this build"),
                        QStringLiteral("%1 on %2 would have to be applied to GitHub first; this HubSync proxy only "
                                       "passes reads and writes to your own tables through.")
                            .arg(commandName(c.command), table),
                        QStringLiteral("Make the change on GitHub; HubSync syncs it into %1.").arg(table)));
    }
    return GateDecision::forward();
}

} // namespace hubsync::proxy
