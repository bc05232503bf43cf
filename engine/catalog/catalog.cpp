#include "catalog/catalog.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

#include <cstring>

namespace hubsync::catalog {

namespace {

using T = ColumnType;

Column col(const QString &name, ColumnType type, const QString &path = {}) {
    return Column{name, type, path.isEmpty() ? name : path};
}

Column required(const QString &name, ColumnType type, const QString &path = {}) {
    Column c = col(name, type, path);
    c.notNull = true;
    return c;
}

Column fromContextRepository() {
    return Column{QStringLiteral("repository_id"),
                  T::BigInt,
                  {},
                  [](const QJsonObject &, const MapContext &ctx) { return QJsonValue(double(ctx.repositoryId)); },
                  true};
}

// "https://api.github.com/repos/o/r/issues/12" -> 12 (comments name their issue only by URL).
QJsonValue trailingNumber(const QJsonObject &object, const QString &field) {
    const QString url = object.value(field).toString();
    bool ok = false;
    const qint64 n = url.mid(url.lastIndexOf(QLatin1Char('/')) + 1).toLongLong(&ok);
    return ok ? QJsonValue(double(n)) : QJsonValue();
}

// Common columns of issues and pull requests (both are "issues" on GitHub).
QList<Column> issueLikeColumns() {
    return {required(QStringLiteral("id"), T::BigInt),
            col(QStringLiteral("node_id"), T::Text),
            fromContextRepository(),
            required(QStringLiteral("number"), T::Integer),
            col(QStringLiteral("title"), T::Text),
            col(QStringLiteral("body"), T::Text),
            col(QStringLiteral("state"), T::Text),
            col(QStringLiteral("locked"), T::Boolean),
            col(QStringLiteral("active_lock_reason"), T::Text),
            col(QStringLiteral("user_id"), T::BigInt, QStringLiteral("user.id")),
            col(QStringLiteral("assignee_ids"), T::Jsonb, QStringLiteral("assignees")),
            col(QStringLiteral("milestone_number"), T::Integer, QStringLiteral("milestone.number")),
            col(QStringLiteral("milestone_title"), T::Text, QStringLiteral("milestone.title")),
            col(QStringLiteral("author_association"), T::Text),
            col(QStringLiteral("html_url"), T::Text),
            col(QStringLiteral("comments"), T::Integer),
            col(QStringLiteral("reactions_total"), T::Integer, QStringLiteral("reactions.total_count")),
            col(QStringLiteral("closed_at"), T::Timestamp),
            col(QStringLiteral("created_at"), T::Timestamp),
            col(QStringLiteral("updated_at"), T::Timestamp)};
}

// The names of an issue's labels, ["bug", "docs"]: what a client edits through the proxy (the label
// rows and issue_label links stay the normalised view).
QJsonValue labelNames(const QJsonObject &issue, const MapContext &) {
    const QJsonValue labels = issue.value(QStringLiteral("labels"));
    if (!labels.isArray())
        return {};
    QJsonArray names;
    for (const QJsonValue &label : labels.toArray()) {
        const QString name =
            label.isObject() ? label.toObject().value(QStringLiteral("name")).toString() : label.toString();
        if (!name.isEmpty())
            names.append(name);
    }
    return names;
}

QList<ForeignKey> repoAndUser() {
    return {{QStringLiteral("repository_id"), QStringLiteral("repository"), QStringLiteral("CASCADE")},
            {QStringLiteral("user_id"), QStringLiteral("user"), QStringLiteral("SET NULL")}};
}

QList<Collection> buildCollections() {
    QList<Collection> list;

    list << Collection{QStringLiteral("user"),
                       {QStringLiteral("id")},
                       {required(QStringLiteral("id"), T::BigInt), col(QStringLiteral("node_id"), T::Text),
                        required(QStringLiteral("login"), T::Text), col(QStringLiteral("type"), T::Text),
                        col(QStringLiteral("site_admin"), T::Boolean), col(QStringLiteral("avatar_url"), T::Text),
                        col(QStringLiteral("html_url"), T::Text)},
                       {},
                       {},
                       false,
                       true,
                       {QStringLiteral("member")}};

    list << Collection{QStringLiteral("repository"),
                       {QStringLiteral("id")},
                       {required(QStringLiteral("id"), T::BigInt),
                        col(QStringLiteral("node_id"), T::Text),
                        required(QStringLiteral("name"), T::Text),
                        required(QStringLiteral("full_name"), T::Text),
                        col(QStringLiteral("owner_id"), T::BigInt, QStringLiteral("owner.id")),
                        col(QStringLiteral("owner_login"), T::Text, QStringLiteral("owner.login")),
                        col(QStringLiteral("private"), T::Boolean),
                        col(QStringLiteral("visibility"), T::Text),
                        col(QStringLiteral("description"), T::Text),
                        col(QStringLiteral("fork"), T::Boolean),
                        col(QStringLiteral("html_url"), T::Text),
                        col(QStringLiteral("homepage"), T::Text),
                        col(QStringLiteral("language"), T::Text),
                        col(QStringLiteral("default_branch"), T::Text),
                        col(QStringLiteral("archived"), T::Boolean),
                        col(QStringLiteral("disabled"), T::Boolean),
                        col(QStringLiteral("has_issues"), T::Boolean),
                        col(QStringLiteral("has_discussions"), T::Boolean),
                        col(QStringLiteral("topics"), T::Jsonb),
                        col(QStringLiteral("stargazers_count"), T::Integer),
                        col(QStringLiteral("watchers_count"), T::Integer),
                        col(QStringLiteral("forks_count"), T::Integer),
                        col(QStringLiteral("open_issues_count"), T::Integer),
                        col(QStringLiteral("size"), T::Integer),
                        col(QStringLiteral("pushed_at"), T::Timestamp),
                        col(QStringLiteral("created_at"), T::Timestamp),
                        col(QStringLiteral("updated_at"), T::Timestamp)},
                       {{QStringLiteral("owner_id"), QStringLiteral("user"), QStringLiteral("SET NULL")}},
                       {QStringLiteral("owner")},
                       true,
                       true,
                       {QStringLiteral("repository"), QStringLiteral("installation_repositories")}};

    list << Collection{QStringLiteral("label"),
                       {QStringLiteral("id")},
                       {required(QStringLiteral("id"), T::BigInt), col(QStringLiteral("node_id"), T::Text),
                        fromContextRepository(), required(QStringLiteral("name"), T::Text),
                        col(QStringLiteral("color"), T::Text), col(QStringLiteral("description"), T::Text),
                        col(QStringLiteral("default"), T::Boolean)},
                       {{QStringLiteral("repository_id"), QStringLiteral("repository"), QStringLiteral("CASCADE")}},
                       {},
                       false,
                       true,
                       {QStringLiteral("label")}};

    {
        Collection issue{QStringLiteral("issue"),
                         {QStringLiteral("id")},
                         issueLikeColumns(),
                         repoAndUser(),
                         {QStringLiteral("user"), QStringLiteral("assignees"), QStringLiteral("closed_by")},
                         true,
                         true,
                         {QStringLiteral("issues")}};
        issue.columns << col(QStringLiteral("state_reason"), T::Text)
                      << col(QStringLiteral("closed_by_id"), T::BigInt, QStringLiteral("closed_by.id"))
                      << Column{QStringLiteral("label_names"), T::Jsonb, {}, labelNames};
        issue.foreignKeys << ForeignKey{QStringLiteral("closed_by_id"), QStringLiteral("user"),
                                        QStringLiteral("SET NULL")};
        list << issue;
    }
    {
        Collection pr{QStringLiteral("pull_request"),
                      {QStringLiteral("id")},
                      issueLikeColumns(),
                      repoAndUser(),
                      {QStringLiteral("user"), QStringLiteral("assignees"), QStringLiteral("merged_by"),
                       QStringLiteral("requested_reviewers")},
                      true,
                      true,
                      {QStringLiteral("pull_request")}};
        pr.columns << col(QStringLiteral("draft"), T::Boolean) << col(QStringLiteral("merged_at"), T::Timestamp)
                   << col(QStringLiteral("merge_commit_sha"), T::Text)
                   << col(QStringLiteral("head_ref"), T::Text, QStringLiteral("head.ref"))
                   << col(QStringLiteral("head_sha"), T::Text, QStringLiteral("head.sha"))
                   << col(QStringLiteral("base_ref"), T::Text, QStringLiteral("base.ref"))
                   << col(QStringLiteral("base_sha"), T::Text, QStringLiteral("base.sha"));
        list << pr;
    }

    list << Collection{
        QStringLiteral("issue_label"),
        {QStringLiteral("issue_id"), QStringLiteral("label_id")},
        {required(QStringLiteral("issue_id"), T::BigInt), required(QStringLiteral("label_id"), T::BigInt)},
        {{QStringLiteral("issue_id"), QStringLiteral("issue"), QStringLiteral("CASCADE")},
         {QStringLiteral("label_id"), QStringLiteral("label"), QStringLiteral("CASCADE")}},
        {},
        false,
        false,
        {QStringLiteral("issues")}};
    list << Collection{
        QStringLiteral("pull_request_label"),
        {QStringLiteral("pull_request_id"), QStringLiteral("label_id")},
        {required(QStringLiteral("pull_request_id"), T::BigInt), required(QStringLiteral("label_id"), T::BigInt)},
        {{QStringLiteral("pull_request_id"), QStringLiteral("pull_request"), QStringLiteral("CASCADE")},
         {QStringLiteral("label_id"), QStringLiteral("label"), QStringLiteral("CASCADE")}},
        {},
        false,
        false,
        {QStringLiteral("pull_request")}};

    list << Collection{QStringLiteral("commit"),
                       {QStringLiteral("sha")},
                       {required(QStringLiteral("sha"), T::Text), col(QStringLiteral("node_id"), T::Text),
                        fromContextRepository(),
                        col(QStringLiteral("message"), T::Text, QStringLiteral("commit.message")),
                        col(QStringLiteral("author_name"), T::Text, QStringLiteral("commit.author.name")),
                        col(QStringLiteral("author_email"), T::Text, QStringLiteral("commit.author.email")),
                        col(QStringLiteral("author_date"), T::Timestamp, QStringLiteral("commit.author.date")),
                        col(QStringLiteral("committer_name"), T::Text, QStringLiteral("commit.committer.name")),
                        col(QStringLiteral("committer_email"), T::Text, QStringLiteral("commit.committer.email")),
                        col(QStringLiteral("committer_date"), T::Timestamp, QStringLiteral("commit.committer.date")),
                        col(QStringLiteral("author_id"), T::BigInt, QStringLiteral("author.id")),
                        col(QStringLiteral("committer_id"), T::BigInt, QStringLiteral("committer.id")),
                        col(QStringLiteral("tree_sha"), T::Text, QStringLiteral("commit.tree.sha")),
                        col(QStringLiteral("parent_shas"), T::Jsonb, QStringLiteral("parents")),
                        col(QStringLiteral("html_url"), T::Text)},
                       {{QStringLiteral("repository_id"), QStringLiteral("repository"), QStringLiteral("CASCADE")},
                        {QStringLiteral("author_id"), QStringLiteral("user"), QStringLiteral("SET NULL")},
                        {QStringLiteral("committer_id"), QStringLiteral("user"), QStringLiteral("SET NULL")}},
                       {QStringLiteral("author"), QStringLiteral("committer")},
                       false,
                       true,
                       {QStringLiteral("push")}};

    list << Collection{QStringLiteral("release"),
                       {QStringLiteral("id")},
                       {required(QStringLiteral("id"), T::BigInt), col(QStringLiteral("node_id"), T::Text),
                        fromContextRepository(), col(QStringLiteral("tag_name"), T::Text),
                        col(QStringLiteral("target_commitish"), T::Text), col(QStringLiteral("name"), T::Text),
                        col(QStringLiteral("body"), T::Text), col(QStringLiteral("draft"), T::Boolean),
                        col(QStringLiteral("prerelease"), T::Boolean),
                        col(QStringLiteral("author_id"), T::BigInt, QStringLiteral("author.id")),
                        col(QStringLiteral("html_url"), T::Text), col(QStringLiteral("created_at"), T::Timestamp),
                        col(QStringLiteral("published_at"), T::Timestamp)},
                       {{QStringLiteral("repository_id"), QStringLiteral("repository"), QStringLiteral("CASCADE")},
                        {QStringLiteral("author_id"), QStringLiteral("user"), QStringLiteral("SET NULL")}},
                       {QStringLiteral("author")},
                       false,
                       true,
                       {QStringLiteral("release")}};

    list << Collection{
        QStringLiteral("comment"),
        {QStringLiteral("id")},
        {required(QStringLiteral("id"), T::BigInt), col(QStringLiteral("node_id"), T::Text), fromContextRepository(),
         Column{
             QStringLiteral("issue_number"),
             T::Integer,
             {},
             [](const QJsonObject &o, const MapContext &) { return trailingNumber(o, QStringLiteral("issue_url")); }},
         col(QStringLiteral("user_id"), T::BigInt, QStringLiteral("user.id")), col(QStringLiteral("body"), T::Text),
         col(QStringLiteral("author_association"), T::Text), col(QStringLiteral("html_url"), T::Text),
         col(QStringLiteral("reactions_total"), T::Integer, QStringLiteral("reactions.total_count")),
         col(QStringLiteral("created_at"), T::Timestamp), col(QStringLiteral("updated_at"), T::Timestamp)},
        repoAndUser(),
        {QStringLiteral("user")},
        true,
        true,
        {QStringLiteral("issue_comment")}};

    // Discussions come from GraphQL: databaseId is the REST id, id is the node id.
    list << Collection{QStringLiteral("discussion"),
                       {QStringLiteral("id")},
                       {required(QStringLiteral("id"), T::BigInt, QStringLiteral("databaseId")),
                        col(QStringLiteral("node_id"), T::Text, QStringLiteral("id")), fromContextRepository(),
                        required(QStringLiteral("number"), T::Integer), col(QStringLiteral("title"), T::Text),
                        col(QStringLiteral("body"), T::Text),
                        col(QStringLiteral("category"), T::Text, QStringLiteral("category.name")),
                        col(QStringLiteral("user_id"), T::BigInt, QStringLiteral("author.databaseId")),
                        col(QStringLiteral("locked"), T::Boolean),
                        col(QStringLiteral("upvote_count"), T::Integer, QStringLiteral("upvoteCount")),
                        col(QStringLiteral("answer_chosen_at"), T::Timestamp, QStringLiteral("answerChosenAt")),
                        col(QStringLiteral("comments"), T::Integer, QStringLiteral("comments.totalCount")),
                        col(QStringLiteral("html_url"), T::Text, QStringLiteral("url")),
                        col(QStringLiteral("created_at"), T::Timestamp, QStringLiteral("createdAt")),
                        col(QStringLiteral("updated_at"), T::Timestamp, QStringLiteral("updatedAt"))},
                       repoAndUser(),
                       {},
                       true,
                       true,
                       {QStringLiteral("discussion")}};

    list << Collection{
        QStringLiteral("discussion_comment"),
        {QStringLiteral("id")},
        {required(QStringLiteral("id"), T::BigInt, QStringLiteral("databaseId")),
         col(QStringLiteral("node_id"), T::Text, QStringLiteral("id")), fromContextRepository(),
         Column{QStringLiteral("discussion_id"),
                T::BigInt,
                {},
                [](const QJsonObject &, const MapContext &ctx) { return QJsonValue(double(ctx.parentId)); },
                true},
         col(QStringLiteral("user_id"), T::BigInt, QStringLiteral("author.databaseId")),
         col(QStringLiteral("body"), T::Text),
         col(QStringLiteral("reply_to_node_id"), T::Text, QStringLiteral("replyTo.id")),
         col(QStringLiteral("upvote_count"), T::Integer, QStringLiteral("upvoteCount")),
         col(QStringLiteral("html_url"), T::Text, QStringLiteral("url")),
         col(QStringLiteral("created_at"), T::Timestamp, QStringLiteral("createdAt")),
         col(QStringLiteral("updated_at"), T::Timestamp, QStringLiteral("updatedAt"))},
        {{QStringLiteral("repository_id"), QStringLiteral("repository"), QStringLiteral("CASCADE")},
         {QStringLiteral("discussion_id"), QStringLiteral("discussion"), QStringLiteral("CASCADE")},
         {QStringLiteral("user_id"), QStringLiteral("user"), QStringLiteral("SET NULL")}},
        {},
        true,
        true,
        {QStringLiteral("discussion_comment")}};

    list << Collection{
        QStringLiteral("reaction"),
        {QStringLiteral("id")},
        {required(QStringLiteral("id"), T::BigInt), col(QStringLiteral("node_id"), T::Text), fromContextRepository(),
         Column{QStringLiteral("subject_type"),
                T::Text,
                {},
                [](const QJsonObject &, const MapContext &ctx) { return QJsonValue(ctx.subjectType); },
                true},
         Column{QStringLiteral("subject_id"),
                T::BigInt,
                {},
                [](const QJsonObject &, const MapContext &ctx) { return QJsonValue(double(ctx.parentId)); },
                true},
         required(QStringLiteral("content"), T::Text),
         col(QStringLiteral("user_id"), T::BigInt, QStringLiteral("user.id")),
         col(QStringLiteral("created_at"), T::Timestamp)},
        repoAndUser(),
        {QStringLiteral("user")},
        false,
        true,
        {}};

    // Branches and tags. name is the full ref ("refs/heads/main"), so a branch and a tag of the same
    // short name do not collide.
    list << Collection{QStringLiteral("ref"),
                       {QStringLiteral("repository_id"), QStringLiteral("name")},
                       {fromContextRepository(), required(QStringLiteral("name"), T::Text, QStringLiteral("ref")),
                        col(QStringLiteral("node_id"), T::Text),
                        Column{QStringLiteral("ref_type"),
                               T::Text,
                               {},
                               [](const QJsonObject &o, const MapContext &) {
                                   const QString ref = o.value(QStringLiteral("ref")).toString();
                                   if (ref.startsWith(QStringLiteral("refs/heads/")))
                                       return QJsonValue(QStringLiteral("branch"));
                                   if (ref.startsWith(QStringLiteral("refs/tags/")))
                                       return QJsonValue(QStringLiteral("tag"));
                                   return QJsonValue(QStringLiteral("other"));
                               }},
                        col(QStringLiteral("sha"), T::Text, QStringLiteral("object.sha")),
                        col(QStringLiteral("object_type"), T::Text, QStringLiteral("object.type"))},
                       {{QStringLiteral("repository_id"), QStringLiteral("repository"), QStringLiteral("CASCADE")}},
                       {},
                       false,
                       true,
                       {QStringLiteral("create"), QStringLiteral("delete"), QStringLiteral("push")}};

    return list;
}

} // namespace

const QList<Collection> &collections() {
    static const QList<Collection> list = buildCollections();
    return list;
}

const Collection *findCollection(const QString &table) {
    for (const Collection &c : collections()) {
        if (c.table == table)
            return &c;
    }
    return nullptr;
}

QString sqlType(ColumnType type) {
    switch (type) {
    case T::BigInt:
        return QStringLiteral("bigint");
    case T::Integer:
        return QStringLiteral("integer");
    case T::Text:
        return QStringLiteral("text");
    case T::Boolean:
        return QStringLiteral("boolean");
    case T::Timestamp:
        return QStringLiteral("timestamptz");
    case T::Double:
        return QStringLiteral("double precision");
    case T::Jsonb:
        return QStringLiteral("jsonb");
    }
    return QStringLiteral("text");
}

namespace {
QString quoted(const QString &identifier) {
    QString q = identifier;
    q.replace(QLatin1Char('"'), QStringLiteral("\"\""));
    return QLatin1Char('"') + q + QLatin1Char('"');
}
} // namespace

QStringList schemaStatements() {
    QStringList statements;
    for (const Collection &c : collections()) {
        QStringList defs;
        for (const Column &column : c.columns)
            defs << quoted(column.name) + QLatin1Char(' ') + sqlType(column.type) +
                        (column.notNull ? QStringLiteral(" NOT NULL") : QString());
        if (c.hasRaw)
            defs << QStringLiteral("raw jsonb");
        defs << QStringLiteral("_synced_at timestamptz NOT NULL DEFAULT now()");
        QStringList pk;
        for (const QString &k : c.primaryKey)
            pk << quoted(k);
        defs << QStringLiteral("PRIMARY KEY (%1)").arg(pk.join(QStringLiteral(", ")));
        statements << QStringLiteral("CREATE TABLE {schema}.%1 (\n  %2\n)")
                          .arg(quoted(c.table), defs.join(QStringLiteral(",\n  ")));
    }
    // Foreign keys after all tables exist; DEFERRABLE INITIALLY DEFERRED so a page may be written in any
    // order inside its transaction.
    for (const Collection &c : collections()) {
        for (const ForeignKey &fk : c.foreignKeys) {
            statements << QStringLiteral(
                              "ALTER TABLE {schema}.%1 ADD CONSTRAINT %2 FOREIGN KEY (%3) REFERENCES {schema}.%4 (id) "
                              "ON DELETE %5 DEFERRABLE INITIALLY DEFERRED")
                              .arg(quoted(c.table),
                                   quoted(c.table + QLatin1Char('_') + fk.column + QStringLiteral("_fkey")),
                                   quoted(fk.column), quoted(fk.table), fk.onDelete);
            statements << QStringLiteral("CREATE INDEX ON {schema}.%1 (%2)").arg(quoted(c.table), quoted(fk.column));
        }
    }
    return statements;
}

QJsonValue valueAt(const QJsonObject &object, const QString &path) {
    QJsonValue current = object;
    qsizetype start = 0;
    while (start <= path.size()) {
        qsizetype dot = path.indexOf(QLatin1Char('.'), start);
        if (dot < 0)
            dot = path.size();
        if (!current.isObject())
            return QJsonValue(QJsonValue::Undefined);
        current = current.toObject().value(QStringView(path).mid(start, dot - start));
        start = dot + 1;
    }
    return current;
}

std::optional<QByteArray> columnText(const QJsonValue &value, ColumnType type) {
    if (value.isNull() || value.isUndefined())
        return std::nullopt;
    switch (type) {
    case T::BigInt:
    case T::Integer: {
        if (value.isDouble())
            return QByteArray::number(qint64(value.toDouble()));
        if (value.isString()) { // GitHub sends some ids as strings in GraphQL
            bool ok = false;
            const qint64 n = value.toString().toLongLong(&ok);
            return ok ? std::optional<QByteArray>(QByteArray::number(n)) : std::nullopt;
        }
        return std::nullopt;
    }
    case T::Double:
        return value.isDouble() ? std::optional<QByteArray>(QByteArray::number(value.toDouble(), 'g', 17))
                                : std::nullopt;
    case T::Boolean:
        return value.isBool() ? std::optional<QByteArray>(value.toBool() ? "t" : "f") : std::nullopt;
    case T::Timestamp: {
        if (!value.isString())
            return std::nullopt;
        // Validate here so one malformed timestamp cannot fail a whole COPY batch.
        const QDateTime dt = QDateTime::fromString(value.toString(), Qt::ISODate);
        return dt.isValid() ? std::optional<QByteArray>(value.toString().toUtf8()) : std::nullopt;
    }
    case T::Text:
        if (value.isString())
            return value.toString().toUtf8();
        if (value.isDouble())
            return QByteArray::number(value.toDouble(), 'g', 17);
        if (value.isBool())
            return QByteArray(value.toBool() ? "true" : "false");
        return std::nullopt;
    case T::Jsonb: {
        if (value.isObject())
            return QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
        if (value.isArray()) {
            // Arrays of objects with ids (assignees, parents) are stored as arrays of their ids/shas:
            // compact and queryable; the full objects stay in raw.
            const QJsonArray array = value.toArray();
            QJsonArray reduced;
            bool reducedAll = !array.isEmpty();
            for (const QJsonValue &item : array) {
                const QJsonObject o = item.toObject();
                if (o.contains(QStringLiteral("id")))
                    reduced.append(o.value(QStringLiteral("id")));
                else if (o.contains(QStringLiteral("sha")))
                    reduced.append(o.value(QStringLiteral("sha")));
                else {
                    reducedAll = false;
                    break;
                }
            }
            return QJsonDocument(reducedAll ? reduced : array).toJson(QJsonDocument::Compact);
        }
        return QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact).mid(1).chopped(1);
    }
    }
    return std::nullopt;
}

std::optional<QList<std::optional<QByteArray>>> mapRow(const Collection &collection, const QJsonObject &object,
                                                       const MapContext &context, const QByteArray *raw) {
    QList<std::optional<QByteArray>> row;
    row.reserve(collection.columns.size() + 1);
    for (const Column &column : collection.columns) {
        const QJsonValue value = column.derive ? column.derive(object, context) : valueAt(object, column.path);
        std::optional<QByteArray> text = columnText(value, column.type);
        if (column.notNull && !text)
            return std::nullopt;
        row << std::move(text);
    }
    if (collection.hasRaw)
        row << (raw && !raw->isEmpty() ? *raw : QJsonDocument(object).toJson(QJsonDocument::Compact));
    return row;
}

bool splitJsonArray(const QByteArray &json, QList<QByteArray> &elements) {
    const char *const data = json.constData();
    const qsizetype size = json.size();
    const auto isSpace = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    qsizetype i = 0;
    while (i < size && isSpace(data[i]))
        ++i;
    if (i >= size || data[i] != '[')
        return false;
    ++i;
    int depth = 0;         // nesting inside the current element
    qsizetype start = -1;  // first character of the current element
    bool exponent = false; // the current element has a number with an exponent
    for (; i < size; ++i) {
        const char c = data[i];
        if (c == '"') { // skip the string: its end is the first quote after an even run of backslashes
            if (start < 0)
                start = i;
            for (;;) {
                const auto *quote = static_cast<const char *>(std::memchr(data + i + 1, '"', size_t(size - i - 1)));
                if (!quote)
                    return false;
                i = quote - data;
                qsizetype backslashes = 0; // the opening quote ends the run at the latest
                while (data[i - 1 - backslashes] == '\\')
                    ++backslashes;
                if (backslashes % 2 == 0)
                    break;
            }
            continue;
        }
        if (isSpace(c))
            continue;
        if (start < 0)
            start = i;
        if (c == '{' || c == '[') {
            ++depth;
        } else if ((c == '}' || c == ']') && depth > 0) {
            --depth;
        } else if ((c == 'e' || c == 'E') && i > 0 && (data[i - 1] >= '0' && data[i - 1] <= '9')) {
            exponent = true; // outside strings, a digit followed by e/E is only ever an exponent
        } else if (depth == 0 && (c == ',' || c == ']')) {
            if (c == ']' && start == i) // "[]" or the end after the last element
                return true;
            qsizetype end = i;
            while (end > start && isSpace(data[end - 1]))
                --end;
            elements << (exponent ? QByteArray() : json.mid(start, end - start));
            start = -1;
            exponent = false;
            if (c == ']')
                return true;
        }
    }
    return false;
}

QList<QJsonObject> embeddedUsers(const Collection &collection, const QJsonObject &object) {
    QList<QJsonObject> users;
    QSet<qint64> seen;
    const auto add = [&](const QJsonValue &v) {
        const QJsonObject user = v.toObject();
        const QJsonValue id = user.value(QStringLiteral("id"));
        if (!id.isDouble() || user.value(QStringLiteral("login")).toString().isEmpty())
            return;
        const auto key = qint64(id.toDouble());
        if (!seen.contains(key)) {
            seen.insert(key);
            users << user;
        }
    };
    for (const QString &path : collection.userPaths) {
        const QJsonValue value = valueAt(object, path);
        if (value.isArray()) {
            for (const QJsonValue &item : value.toArray())
                add(item);
        } else {
            add(value);
        }
    }
    return users;
}

QJsonObject restUserFromGraphql(const QJsonObject &author) {
    if (!author.value(QStringLiteral("databaseId")).isDouble())
        return {};
    return QJsonObject{{QStringLiteral("id"), author.value(QStringLiteral("databaseId"))},
                       {QStringLiteral("login"), author.value(QStringLiteral("login"))},
                       {QStringLiteral("node_id"), author.value(QStringLiteral("id"))},
                       {QStringLiteral("type"), QStringLiteral("User")}};
}

namespace {

// GitHub's reaction contents: GraphQL's ReactionContent and the REST name, in the REST rollup's order.
const QList<std::pair<QString, QString>> &reactionContents() {
    static const QList<std::pair<QString, QString>> contents{
        {QStringLiteral("THUMBS_UP"), QStringLiteral("+1")},      {QStringLiteral("THUMBS_DOWN"), QStringLiteral("-1")},
        {QStringLiteral("LAUGH"), QStringLiteral("laugh")},       {QStringLiteral("HOORAY"), QStringLiteral("hooray")},
        {QStringLiteral("CONFUSED"), QStringLiteral("confused")}, {QStringLiteral("HEART"), QStringLiteral("heart")},
        {QStringLiteral("ROCKET"), QStringLiteral("rocket")},     {QStringLiteral("EYES"), QStringLiteral("eyes")}};
    return contents;
}

} // namespace

QJsonObject restUserFromGraphqlUser(const QJsonObject &user, const QString &apiBase) {
    if (!user.value(QStringLiteral("databaseId")).isDouble())
        return {};
    // REST names an App's bot account "<slug>[bot]"; GraphQL's Bot.login is the bare slug.
    const bool bot = user.value(QStringLiteral("__typename")).toString() == QLatin1String("Bot");
    QString login = user.value(QStringLiteral("login")).toString();
    if (bot && !login.endsWith(QLatin1String("[bot]")))
        login += QStringLiteral("[bot]");
    const QString api = apiBase + QStringLiteral("/users/") + login;
    const auto under = [&api](const char *path) { return QString(api + QLatin1String(path)); };
    return QJsonObject{{QStringLiteral("login"), login},
                       {QStringLiteral("id"), user.value(QStringLiteral("databaseId"))},
                       {QStringLiteral("node_id"), user.value(QStringLiteral("id"))},
                       {QStringLiteral("avatar_url"), user.value(QStringLiteral("avatarUrl"))},
                       {QStringLiteral("gravatar_id"), QString()},
                       {QStringLiteral("url"), api},
                       {QStringLiteral("html_url"), user.value(QStringLiteral("url"))},
                       {QStringLiteral("followers_url"), under("/followers")},
                       {QStringLiteral("following_url"), under("/following{/other_user}")},
                       {QStringLiteral("gists_url"), under("/gists{/gist_id}")},
                       {QStringLiteral("starred_url"), under("/starred{/owner}{/repo}")},
                       {QStringLiteral("subscriptions_url"), under("/subscriptions")},
                       {QStringLiteral("organizations_url"), under("/orgs")},
                       {QStringLiteral("repos_url"), under("/repos")},
                       {QStringLiteral("events_url"), under("/events{/privacy}")},
                       {QStringLiteral("received_events_url"), under("/received_events")},
                       {QStringLiteral("type"), bot ? QStringLiteral("Bot") : QStringLiteral("User")},
                       {QStringLiteral("site_admin"), user.value(QStringLiteral("isSiteAdmin")).toBool()}};
}

QJsonObject restIssueCommentFromGraphql(const QJsonObject &comment, const QString &apiBase,
                                        const QString &repositoryFullName, qint64 issueNumber) {
    // fullDatabaseId: comment ids outgrew GraphQL's 32-bit databaseId.
    const qint64 id = comment.value(QStringLiteral("fullDatabaseId")).toString().toLongLong();
    const QString repoApi = apiBase + QStringLiteral("/repos/") + repositoryFullName;
    const QString url = repoApi + QStringLiteral("/issues/comments/") + QString::number(id);
    QJsonObject reactions{{QStringLiteral("url"), QString(url + QStringLiteral("/reactions"))}};
    qint64 total = 0;
    QHash<QString, qint64> counts;
    for (const QJsonValue &group : comment.value(QStringLiteral("reactionGroups")).toArray()) {
        const QJsonObject g = group.toObject();
        counts.insert(g.value(QStringLiteral("content")).toString(),
                      g.value(QStringLiteral("reactors")).toObject().value(QStringLiteral("totalCount")).toInteger());
    }
    for (const auto &[graphqlName, restName] : reactionContents()) {
        reactions.insert(restName, counts.value(graphqlName));
        total += counts.value(graphqlName);
    }
    reactions.insert(QStringLiteral("total_count"), total);
    const QJsonObject user = restUserFromGraphqlUser(comment.value(QStringLiteral("author")).toObject(), apiBase);
    return QJsonObject{
        {QStringLiteral("id"), double(id)},
        {QStringLiteral("node_id"), comment.value(QStringLiteral("id"))},
        {QStringLiteral("url"), url},
        {QStringLiteral("html_url"), comment.value(QStringLiteral("url"))},
        {QStringLiteral("body"), comment.value(QStringLiteral("body"))},
        {QStringLiteral("user"), user.isEmpty() ? QJsonValue() : QJsonValue(user)},
        {QStringLiteral("created_at"), comment.value(QStringLiteral("createdAt"))},
        {QStringLiteral("updated_at"), comment.value(QStringLiteral("updatedAt"))},
        {QStringLiteral("issue_url"), QString(repoApi + QStringLiteral("/issues/") + QString::number(issueNumber))},
        {QStringLiteral("author_association"), comment.value(QStringLiteral("authorAssociation"))},
        {QStringLiteral("reactions"), reactions},
        // Not in GraphQL's IssueComment: null, as for a comment no App made.
        {QStringLiteral("performed_via_github_app"), QJsonValue()}};
}

QJsonObject restReactionFromGraphql(const QJsonObject &reaction, const QString &apiBase) {
    const QString graphqlContent = reaction.value(QStringLiteral("content")).toString();
    QString content = graphqlContent.toLower();
    for (const auto &[graphqlName, restName] : reactionContents()) {
        if (graphqlName == graphqlContent)
            content = restName;
    }
    const QJsonObject user = restUserFromGraphqlUser(reaction.value(QStringLiteral("user")).toObject(), apiBase);
    return QJsonObject{{QStringLiteral("id"), reaction.value(QStringLiteral("databaseId"))},
                       {QStringLiteral("node_id"), reaction.value(QStringLiteral("id"))},
                       {QStringLiteral("user"), user.isEmpty() ? QJsonValue() : QJsonValue(user)},
                       {QStringLiteral("content"), content},
                       {QStringLiteral("created_at"), reaction.value(QStringLiteral("createdAt"))}};
}

QString discussionFields() {
    return QStringLiteral("id databaseId number title body url createdAt updatedAt locked upvoteCount answerChosenAt"
                          " author { login ... on User { id databaseId } } category { id name }");
}

QString discussionCommentFields() {
    return QStringLiteral("id databaseId body url createdAt updatedAt upvoteCount"
                          " author { login ... on User { id databaseId } } replyTo { id }");
}

} // namespace hubsync::catalog
