#pragma once

#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

namespace hubsync::catalog {

// Context a row is mapped in: what the list endpoint does not repeat in every item.
struct MapContext {
    qint64 repositoryId = 0;
    qint64 parentId = 0; // e.g. the discussion of a discussion comment, the subject of a reaction
    QString subjectType; // reactions: "issue", "pull_request", "comment"
};

enum class ColumnType { BigInt, Integer, Text, Boolean, Timestamp, Double, Jsonb };

struct Column {
    QString name;
    ColumnType type;
    QString path; // dotted JSON path ("user.id"); empty when `derive` computes the value
    std::function<QJsonValue(const QJsonObject &, const MapContext &)> derive = {};
    bool notNull = false;
};

struct ForeignKey {
    QString column;
    QString table;
    QString onDelete; // "CASCADE", "SET NULL"
};

// One synced table, declared once. The schema, the JSON->row mapping, the user extraction and (later)
// webhook routing all derive from this description.
struct Collection {
    QString table;          // singular table name, e.g. "issue"
    QStringList primaryKey; // usually {"id"}
    QList<Column> columns;  // without raw/_synced_at, which every table has
    QList<ForeignKey> foreignKeys;
    QStringList userPaths; // JSON paths holding embedded users (objects or arrays of objects)
    bool hasUpdatedAt = true;
    bool hasRaw = true;
    QStringList webhookEvents;
};

const QList<Collection> &collections();
const Collection *findCollection(const QString &table);

// DDL for every table in dependency order ({schema} placeholder, as the Migrator expects).
QStringList schemaStatements();

// Looks up a dotted path in a JSON object ("commit.author.name").
QJsonValue valueAt(const QJsonObject &object, const QString &path);

// Renders a JSON value as the text a COPY column of the given type accepts; std::nullopt is NULL.
std::optional<QByteArray> columnText(const QJsonValue &value, ColumnType type);

// Maps one API object to the text values of the collection's columns followed by raw (if any);
// _synced_at is filled by the database. Rows violating a NOT NULL column yield std::nullopt.
// `raw`: the object's JSON text as received, if known (else raw is the object serialised).
std::optional<QList<std::optional<QByteArray>>> mapRow(const Collection &collection, const QJsonObject &object,
                                                       const MapContext &context, const QByteArray *raw = nullptr);

// Splits the text of a JSON array into the text of each element, in order. Only for a body that
// QJsonDocument already accepted (valid JSON, valid UTF-8): this scans strings and nesting, it does not
// validate. An element holding a number with an exponent is returned empty (serialise the parsed value
// instead: PostgreSQL's jsonb refuses numbers beyond its numeric range, which Qt turns into null).
// Returns false when `json` is not an array.
bool splitJsonArray(const QByteArray &json, QList<QByteArray> &elements);

// Every distinct GitHub user object embedded in the object under the collection's userPaths.
QList<QJsonObject> embeddedUsers(const Collection &collection, const QJsonObject &object);

QString sqlType(ColumnType type);

// GraphQL authors ({login, id, databaseId}) as REST-shaped users ({id, login, node_id}), so they land in
// "user" like every other embedded user. Empty for authors without a database id (bots, ghosts).
QJsonObject restUserFromGraphql(const QJsonObject &author);
// The REST objects GitHub's REST API sends for a GraphQL User { login databaseId id url avatarUrl
// isSiteAdmin } and Reaction { databaseId id content createdAt user { ... } }, so that rows and `raw` do not
// depend on the API that fed them. apiBase: the REST base URL ("https://api.github.com").
QJsonObject restUserFromGraphqlUser(const QJsonObject &user, const QString &apiBase);
QJsonObject restReactionFromGraphql(const QJsonObject &reaction, const QString &apiBase);
// An IssueComment { id fullDatabaseId body url createdAt updatedAt authorAssociation author {...}
// reactionGroups { content reactors { totalCount } } } of issue `issueNumber` as the REST comment list sends it.
QJsonObject restIssueCommentFromGraphql(const QJsonObject &comment, const QString &apiBase,
                                        const QString &repositoryFullName, qint64 issueNumber);

// The GraphQL selections the discussion tables map, shared by the backfill and the webhook re-fetch.
QString discussionFields();        // fields of a Discussion, without its comments
QString discussionCommentFields(); // fields of a DiscussionComment

} // namespace hubsync::catalog
