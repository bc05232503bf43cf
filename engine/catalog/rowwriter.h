#pragma once

#include "catalog/catalog.h"
#include "core/errors.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QSet>

namespace hubsync::pg {
class Connection;
}

namespace hubsync::catalog {

// Writes mapped API objects into the synced tables: one prepared INSERT .. SELECT FROM unnest(text[]
// arrays, one per column) .. ON CONFLICT DO UPDATE per batch, whose WHERE clause keeps newer rows
// (updated_at guard), so an older page or an out-of-order webhook can never overwrite newer data.
// The caller owns the transaction (a page, its users and its cursor commit together); callers that open
// it with begin()/commit() also let the writer skip users it has already stored unchanged.
class RowWriter final {
public:
    RowWriter(pg::Connection &connection, QString schema);
    Q_DISABLE_COPY_MOVE(RowWriter)

    struct Outcome {
        int written = 0;          // rows inserted or updated
        int stale = 0;            // rows skipped because the table already had newer data
        int malformed = 0;        // objects missing required fields (skipped, counted)
        QList<qint64> appliedIds; // ids of rows written (single bigint keys only)
    };

    // Upserts the objects of one collection (plus every user embedded in them). `raw`, when not empty,
    // holds each object's JSON text as GitHub sent it (parallel to `objects`); it becomes the raw column
    // as it is, instead of the parsed object serialised again.
    Error upsert(const Collection &collection, const QList<QJsonObject> &objects, const MapContext &context,
                 Outcome *outcome = nullptr, const QList<QByteArray> &raw = {});
    // Same, with one context per object (e.g. reactions of many subjects in one statement).
    Error upsert(const Collection &collection, const QList<QJsonObject> &objects, const QList<MapContext> &contexts,
                 Outcome *outcome = nullptr, const QList<QByteArray> &raw = {});

    // A transaction the writer knows the fate of: users embedded in objects are written once per distinct
    // content (a user whose identical object was stored by a committed transaction of this writer, or
    // earlier in this one, is skipped). A rolled-back transaction forgets what it wrote.
    Error begin();
    Error commit();
    void rollback();

    // Replaces the label links of the given owners (issues or pull requests) with the labels embedded in
    // the objects; the labels themselves are upserted too. Only owners in `owners` are touched.
    Error replaceLabels(const QString &linkTable, const QList<QJsonObject> &objects, const QSet<qint64> &owners,
                        const MapContext &context);

    // Deletes rows by primary key (single bigint key tables).
    Error remove(const Collection &collection, const QList<qint64> &ids, int *removed = nullptr);

    [[nodiscard]] QString table(const QString &name) const;

private:
    Error upsertUsers(const QList<QJsonObject> &objects, const Collection &collection);

    pg::Connection &m_connection;
    QString m_schema;
    QHash<QString, QString> m_upsertSql;       // table -> its upsert statement
    bool m_ownTransaction = false;             // inside begin() .. commit()/rollback()
    QHash<qint64, QJsonObject> m_knownUsers;   // user id -> object committed by this writer
    QHash<qint64, QJsonObject> m_pendingUsers; // written in the open transaction
};

} // namespace hubsync::catalog
