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

// Writes mapped API objects into the synced tables. Bulk path: COPY into a per-table temp staging table,
// then one INSERT .. SELECT .. ON CONFLICT DO UPDATE whose WHERE clause keeps newer rows (updated_at
// guard), so an older page or an out-of-order webhook can never overwrite newer data.
// The caller owns the transaction (a page, its users and its cursor commit together).
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

    // Upserts the objects of one collection (plus every user embedded in them).
    Error upsert(const Collection &collection, const QList<QJsonObject> &objects, const MapContext &context,
                 Outcome *outcome = nullptr);
    // Same, with one context per object (e.g. reactions of many subjects in one statement).
    Error upsert(const Collection &collection, const QList<QJsonObject> &objects, const QList<MapContext> &contexts,
                 Outcome *outcome = nullptr);

    // Replaces the label links of the given owners (issues or pull requests) with the labels embedded in
    // the objects; the labels themselves are upserted too. Only owners in `owners` are touched.
    Error replaceLabels(const QString &linkTable, const QList<QJsonObject> &objects, const QSet<qint64> &owners,
                        const MapContext &context);

    // Deletes rows by primary key (single bigint key tables).
    Error remove(const Collection &collection, const QList<qint64> &ids, int *removed = nullptr);

    [[nodiscard]] QString table(const QString &name) const;

    // Batches of at most this many rows are written with one parameterised INSERT instead of COPY into a
    // staging table (tests lower it to exercise both paths).
    void setSmallBatchRows(int rows) { m_smallBatchRows = rows; }

private:
    Error ensureStage(const Collection &collection);
    Error upsertUsers(const QList<QJsonObject> &users);

    pg::Connection &m_connection;
    QString m_schema;
    int m_smallBatchRows = 20;
};

} // namespace hubsync::catalog
