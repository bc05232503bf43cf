#include "proxy/classifier.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <pg_query.h>

#include <algorithm>
#include <string_view>

namespace hubsync::proxy {

namespace {

constexpr qsizetype cacheLimit = 4096;

struct WriteTarget {
    QString statement; // InsertStmt, UpdateStmt, DeleteStmt, MergeStmt, CopyStmt, TruncateStmt
    QString schema;
    QString table;
    bool nested = false; // inside a CTE or subquery rather than the statement itself
    QJsonObject node;
};

void addTarget(QList<WriteTarget> &out, const QString &statement, const QJsonObject &relation, bool nested,
               const QJsonObject &node) {
    out << WriteTarget{statement, relation.value(QStringLiteral("schemaname")).toString(),
                       relation.value(QStringLiteral("relname")).toString(), nested, node};
}

// Walks the whole tree: a write can hide in a CTE, a subquery or a RETURNING clause's subselect.
void collectWrites(const QJsonValue &value, QList<WriteTarget> &out, bool nested) {
    if (value.isArray()) {
        for (const QJsonValue &v : value.toArray())
            collectWrites(v, out, nested);
        return;
    }
    if (!value.isObject())
        return;
    const QJsonObject object = value.toObject();
    for (auto it = object.begin(); it != object.end(); ++it) {
        const QString &key = it.key();
        const QJsonObject node = it.value().toObject();
        if (key == QStringLiteral("InsertStmt") || key == QStringLiteral("UpdateStmt") ||
            key == QStringLiteral("DeleteStmt") || key == QStringLiteral("MergeStmt")) {
            addTarget(out, key, node.value(QStringLiteral("relation")).toObject(), nested, node);
        } else if (key == QStringLiteral("CopyStmt")) {
            if (node.value(QStringLiteral("is_from")).toBool())
                addTarget(out, key, node.value(QStringLiteral("relation")).toObject(), nested, node);
        } else if (key == QStringLiteral("TruncateStmt")) {
            for (const QJsonValue &rel : node.value(QStringLiteral("relations")).toArray())
                addTarget(out, key, rel.toObject().value(QStringLiteral("RangeVar")).toObject(), nested, node);
        }
        // Everything below a statement node is nested relative to it.
        const bool isStatement = key.endsWith(QStringLiteral("Stmt"));
        collectWrites(it.value(), out, nested || (isStatement && key != QStringLiteral("RawStmt")));
    }
}

} // namespace

StatementClassifier::StatementClassifier(QString schema, QSet<QString> syncedTables, QSet<QString> writableTables)
    : m_schema(std::move(schema))
    , m_synced(std::move(syncedTables))
    , m_writable(std::move(writableTables)) {}

bool StatementClassifier::mayWrite(QByteArrayView sql) {
    // Every write form the classifier recognises starts with one of these keywords, and PostgreSQL has no
    // way to spell a keyword other than literally in ASCII (comments and escapes cannot split one), so SQL
    // without any of them needs no parse. False positives ("SELECT updated_at") just take the slow path.
    // One pass over the bytes: this runs for every Query a client sends.
    static constexpr std::string_view keywords[] = {"insert", "update", "delete", "merge", "copy", "truncate"};
    const char *text = sql.data();
    const qsizetype size = sql.size();
    for (qsizetype i = 0; i < size; ++i) {
        // ASCII letters only: `| 0x20` lower-cases A-Z, and no other byte becomes one of these letters.
        const char first = char(text[i] | 0x20);
        if (first != 'i' && first != 'u' && first != 'd' && first != 'm' && first != 'c' && first != 't')
            continue;
        for (const std::string_view keyword : keywords) {
            if (keyword.front() != first || size - i < qsizetype(keyword.size()))
                continue;
            size_t j = 1;
            while (j < keyword.size() && char(text[i + qsizetype(j)] | 0x20) == keyword[j])
                ++j;
            if (j == keyword.size())
                return true;
        }
    }
    return false;
}

Classification StatementClassifier::classify(const QString &sql) {
    return classify(sql.toUtf8());
}

Classification StatementClassifier::classify(const QByteArray &utf8) {
    if (!mayWrite(utf8))
        return {}; // statementCount stays 0: not parsed
    const auto cached = m_cache.constFind(utf8);
    if (cached != m_cache.cend())
        return *cached;
    Classification result = classifyUncached(utf8);
    if (m_cache.size() >= cacheLimit)
        m_cache.clear(); // simple bound; statements repeat, so the working set refills quickly
    m_cache.insert(utf8, result);
    return result;
}

Classification StatementClassifier::classifyUncached(const QByteArray &utf8) const {
    Classification result;
    PgQueryParseResult parsed = pg_query_parse(utf8.constData()); // QByteArray's data is NUL-terminated
    if (parsed.error) {
        // Let PostgreSQL report the syntax error in its own words.
        pg_query_free_parse_result(parsed);
        return result;
    }
    const QJsonDocument tree = QJsonDocument::fromJson(QByteArray(parsed.parse_tree));
    pg_query_free_parse_result(parsed);

    const QJsonArray statements = tree.object().value(QStringLiteral("stmts")).toArray();
    result.statementCount = int(statements.size());
    QList<WriteTarget> synced;
    for (const QJsonValue &statement : statements) {
        QList<WriteTarget> writes;
        // The top-level statement itself is not nested; anything inside it is.
        const QJsonObject stmt = statement.toObject().value(QStringLiteral("stmt")).toObject();
        for (auto it = stmt.begin(); it != stmt.end(); ++it) {
            QList<WriteTarget> own;
            collectWrites(QJsonObject{{it.key(), it.value()}}, own, false);
            for (WriteTarget &w : own) {
                // collectWrites marks the statement's own node as not nested and children as nested.
                writes << w;
            }
        }
        for (const WriteTarget &w : std::as_const(writes)) {
            const bool schemaMatches = w.schema.isEmpty() || w.schema == m_schema;
            if (schemaMatches && m_synced.contains(w.table))
                synced << w;
        }
    }
    if (synced.isEmpty())
        return result;

    const WriteTarget &first = synced.first();
    result.table = first.table;
    const QString qualified = m_schema + QLatin1Char('.') + first.table;
    for (const WriteTarget &w : std::as_const(synced)) {
        if (!m_writable.contains(w.table)) {
            QStringList writable(m_writable.cbegin(), m_writable.cend());
            writable.sort();
            for (QString &name : writable)
                name.prepend(m_schema + QLatin1Char('.'));
            result.kind = Classification::Kind::ReadOnlyTable;
            result.table = w.table;
            result.reason =
                QStringLiteral("table %1.%2 is kept in sync with GitHub by HubSync and is read-only; only %3 accept "
                               "writes")
                    .arg(m_schema, w.table, writable.join(QStringLiteral(", ")));
            return result;
        }
    }
    if (synced.size() > 1 &&
        std::any_of(synced.cbegin(), synced.cend(), [&](const WriteTarget &w) { return w.table != first.table; })) {
        result.kind = Classification::Kind::Unsupported;
        result.reason =
            QStringLiteral("one statement may write to one GitHub table; send the writes to %1.%2 and "
                           "%1.%3 as statements of their own")
                .arg(m_schema, first.table, std::find_if(synced.cbegin(), synced.cend(), [&](const WriteTarget &w) {
                                                return w.table != first.table;
                                            })->table);
        return result;
    }
    result.kind = Classification::Kind::Unsupported;
    if (synced.size() > 1 || result.statementCount > 1) {
        result.reason =
            QStringLiteral("a write to %1 must be sent as a statement of its own (one write per query string)")
                .arg(qualified);
        return result;
    }
    if (first.nested) {
        result.reason = QStringLiteral("a write to %1 inside a WITH clause or subquery cannot be applied to GitHub; "
                                       "run it as a plain statement")
                            .arg(qualified);
        return result;
    }
    if (first.statement == QStringLiteral("MergeStmt")) {
        result.reason =
            QStringLiteral("MERGE into %1 cannot be mapped to GitHub API calls; use INSERT, UPDATE or DELETE")
                .arg(qualified);
        return result;
    }
    if (first.statement == QStringLiteral("CopyStmt")) {
        result.reason =
            QStringLiteral("COPY FROM into %1 is not supported; use INSERT so each row is created on GitHub")
                .arg(qualified);
        return result;
    }
    if (first.statement == QStringLiteral("TruncateStmt")) {
        result.reason =
            QStringLiteral("TRUNCATE of %1 is not supported; GitHub objects are deleted one by one with DELETE")
                .arg(qualified);
        return result;
    }
    if (first.statement == QStringLiteral("InsertStmt")) {
        const QString action =
            first.node.value(QStringLiteral("onConflictClause")).toObject().value(QStringLiteral("action")).toString();
        if (action == QStringLiteral("ONCONFLICT_UPDATE")) {
            result.reason =
                QStringLiteral(
                    "INSERT .. ON CONFLICT DO UPDATE on %1 may need two GitHub calls per row; use ON CONFLICT DO "
                    "NOTHING followed by UPDATE")
                    .arg(qualified);
            return result;
        }
        result.command = Classification::Command::Insert;
    } else if (first.statement == QStringLiteral("UpdateStmt")) {
        result.command = Classification::Command::Update;
    } else {
        result.command = Classification::Command::Delete;
    }
    result.kind = Classification::Kind::Write;
    result.reason.clear();
    result.returning = !first.node.value(QStringLiteral("returningList")).toArray().isEmpty();
    return result;
}

} // namespace hubsync::proxy
