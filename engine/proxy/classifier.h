#pragma once

#include <QHash>
#include <QSet>
#include <QString>

namespace hubsync::proxy {

// What the proxy does with one SQL text (a Query message or a Parse message's statement).
struct Classification {
    enum class Kind {
        PassThrough,   // not a write to a synced table: forwarded byte for byte
        Write,         // INSERT/UPDATE/DELETE on a writable table (issue, comment, ...): write-through to GitHub
        ReadOnlyTable, // a write to another synced table: refused (SQLSTATE 25006)
        Unsupported,   // a write form that cannot be mapped to GitHub calls: refused (SQLSTATE 0A000)
    };
    enum class Command { None, Insert, Update, Delete };

    Kind kind = Kind::PassThrough;
    Command command = Command::None;
    QString table;  // the synced table involved
    QString reason; // for refusals: one sentence for the client
    bool returning = false;
    int statementCount = 0; // 0 when the SQL was not parsed (no write keyword in it)
};

// Classifies statements with libpg_query (the real PostgreSQL parser). Results are cached by SQL text,
// so a named prepared statement executed many times is parsed once.
//
// Blind spots, by design of a catalog-free parser: writes hidden in functions, rules, triggers or views
// are not seen. Unqualified table names are matched against the synced table names regardless of
// search_path (a write to an unqualified "issue" is treated as a write to the synced table).
class StatementClassifier final {
public:
    // `writableTables`: the synced tables written through to GitHub (writableTables() in writethrough.h).
    StatementClassifier(QString schema, QSet<QString> syncedTables,
                        QSet<QString> writableTables = {QStringLiteral("issue")});

    Classification classify(const QString &sql);
    // The same for UTF-8 text as it came off the wire (the cache is keyed by it; nothing is converted).
    Classification classify(const QByteArray &utf8);
    // False when `sql` (UTF-8) cannot contain a write: classify() then skips the parser.
    static bool mayWrite(QByteArrayView sql);

private:
    Classification classifyUncached(const QByteArray &utf8) const;

    QString m_schema;
    QSet<QString> m_synced;
    QSet<QString> m_writable;
    QHash<QByteArray, Classification> m_cache; // by UTF-8 text
};

} // namespace hubsync::proxy
