#include "sync/cursorstore.h"

#include "store/pg.h"

namespace hubsync::sync {

CursorStore::CursorStore(pg::Connection &connection, QString schema)
    : m_connection(connection)
    , m_schema(std::move(schema)) {}

Cursor CursorStore::load(qint64 repositoryId, const QString &collection, Error *error) {
    Cursor cursor;
    cursor.repositoryId = repositoryId;
    cursor.collection = collection;
    const pg::Result r = m_connection.execParams(
        QStringLiteral(
            "SELECT phase, next_url, to_char(since AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
            " fetched, written, total, page_size FROM hubsync.sync_cursor WHERE repository_id = $1 AND schema = $2"
            " AND collection = $3"),
        {pg::param(repositoryId), pg::param(m_schema), pg::param(collection)});
    if (!r.ok()) {
        if (error)
            *error = pg::databaseError(QStringLiteral("loading sync cursor"), r.errorMessage());
        return cursor;
    }
    if (r.rows() == 0)
        return cursor;
    cursor.done = r.text(0, 0) == QStringLiteral("done");
    cursor.nextUrl = r.text(0, 1);
    if (!r.isNull(0, 2))
        cursor.since = QDateTime::fromString(r.text(0, 2), Qt::ISODate);
    cursor.fetched = r.toInt(0, 3);
    cursor.written = r.toInt(0, 4);
    cursor.total = r.isNull(0, 5) ? -1 : r.toInt(0, 5);
    cursor.pageSize = r.isNull(0, 6) ? 0 : int(r.toInt(0, 6));
    return cursor;
}

Error CursorStore::save(const Cursor &cursor) {
    return m_connection.run(
        QStringLiteral(
            "INSERT INTO hubsync.sync_cursor AS c (repository_id, collection, phase, next_url, since, fetched,"
            " written, total, completed_at, updated_at, schema, page_size)"
            " VALUES ($1, $2, $3, $4, $5::timestamptz, $6, $7, $8, CASE WHEN $3 = 'done' THEN now() END, now(), $9,"
            " $10)"
            " ON CONFLICT (repository_id, schema, collection) DO UPDATE SET phase = excluded.phase,"
            " next_url = excluded.next_url, since = excluded.since, fetched = excluded.fetched,"
            " written = excluded.written, total = excluded.total, page_size = excluded.page_size,"
            " completed_at = coalesce(excluded.completed_at, c.completed_at), updated_at = now()"),
        {pg::param(cursor.repositoryId), pg::param(cursor.collection),
         pg::param(cursor.done ? QStringLiteral("done") : QStringLiteral("backfill")),
         cursor.nextUrl.isEmpty() ? pg::nullParam() : pg::param(cursor.nextUrl),
         cursor.since.isValid() ? pg::param(cursor.since.toUTC().toString(Qt::ISODate)) : pg::nullParam(),
         pg::param(cursor.fetched), pg::param(cursor.written),
         cursor.total >= 0 ? pg::param(cursor.total) : pg::nullParam(), pg::param(m_schema),
         cursor.pageSize > 0 ? pg::param(qint64(cursor.pageSize)) : pg::nullParam()},
        QStringLiteral("saving sync cursor"));
}

Error CursorStore::resetRepository(qint64 repositoryId) {
    return m_connection.run(QStringLiteral("DELETE FROM hubsync.sync_cursor WHERE repository_id = $1 AND schema = $2"),
                            {pg::param(repositoryId), pg::param(m_schema)}, QStringLiteral("resetting sync cursors"));
}

} // namespace hubsync::sync
