#include "store/deliverylog.h"

#include "store/pg.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QStringList>

namespace hubsync {

DeliveryLog::DeliveryLog(pg::Connection &connection)
    : m_db(connection) {}

Error DeliveryLog::enqueue(const QString &deliveryId, const QString &event, const QString &action,
                           const QByteArray &payload, Enqueued *result) {
    const pg::Result r =
        m_db.execParams(QStringLiteral("INSERT INTO hubsync.webhook_delivery (delivery_id, event, action, payload)"
                                       " VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT (delivery_id) DO NOTHING"),
                        {pg::param(deliveryId), pg::param(event),
                         action.isEmpty() ? pg::nullParam() : pg::param(action), pg::Param(payload)});
    if (!r.ok())
        return pg::databaseError(QStringLiteral("storing a webhook delivery"), r.errorMessage());
    if (result)
        *result = r.affectedRows() == 1 ? Enqueued::New : Enqueued::Duplicate;
    return {};
}

Error DeliveryLog::pending(int limit, QList<Pending> *out) {
    out->clear();
    const pg::Result r = m_db.execParams(
        QStringLiteral("SELECT delivery_id, event, coalesce(action, ''), payload::text, attempts,"
                       " (extract(epoch FROM received_at) * 1000)::bigint"
                       " FROM hubsync.webhook_delivery WHERE processed_at IS NULL"
                       " AND (next_attempt_at IS NULL OR next_attempt_at <= now()) ORDER BY seq LIMIT $1"),
        {pg::param(qint64(limit))});
    if (!r.ok())
        return pg::databaseError(QStringLiteral("reading pending webhook deliveries"), r.errorMessage());
    for (int i = 0; i < r.rows(); ++i)
        out->append(
            Pending{r.text(i, 0), r.text(i, 1), r.text(i, 2), r.bytes(i, 3), int(r.toInt(i, 4)), r.toInt(i, 5)});
    return {};
}

Error DeliveryLog::nextRetryAt(QDateTime *at) {
    return queryTime(QStringLiteral("min(next_attempt_at)"),
                     QStringLiteral("WHERE processed_at IS NULL AND next_attempt_at > now()"),
                     QStringLiteral("reading webhook retry times"), at);
}

Error DeliveryLog::markDone(const QString &deliveryId, const QString &outcome, const QString &note) {
    return m_db.run(QStringLiteral("UPDATE hubsync.webhook_delivery SET processed_at = now(), outcome = $2,"
                                   " error = $3, attempts = attempts + 1, next_attempt_at = NULL"
                                   " WHERE delivery_id = $1"),
                    {pg::param(deliveryId), pg::param(outcome), note.isEmpty() ? pg::nullParam() : pg::param(note)},
                    QStringLiteral("recording an applied webhook delivery"));
}

Error DeliveryLog::markRetry(const QString &deliveryId, const QString &error, int retryInSeconds) {
    return m_db.run(QStringLiteral("UPDATE hubsync.webhook_delivery SET attempts = attempts + 1, error = $2,"
                                   " next_attempt_at = now() + make_interval(secs => $3) WHERE delivery_id = $1"),
                    {pg::param(deliveryId), pg::param(error), pg::param(qint64(retryInSeconds))},
                    QStringLiteral("scheduling a webhook delivery retry"));
}

Error DeliveryLog::known(const QSet<QString> &ids, QSet<QString> *out) {
    out->clear();
    if (ids.isEmpty())
        return {};
    // The ids come from the network: passed as one JSON parameter, never spliced into SQL.
    const QJsonArray list = QJsonArray::fromStringList(QStringList(ids.begin(), ids.end()));
    const pg::Result r =
        m_db.execParams(QStringLiteral("SELECT delivery_id FROM hubsync.webhook_delivery"
                                       " WHERE delivery_id IN (SELECT jsonb_array_elements_text($1::jsonb))"),
                        {pg::Param(QJsonDocument(list).toJson(QJsonDocument::Compact))});
    if (!r.ok())
        return pg::databaseError(QStringLiteral("looking up webhook deliveries"), r.errorMessage());
    for (int i = 0; i < r.rows(); ++i)
        out->insert(r.text(i, 0));
    return {};
}

Error DeliveryLog::newestReceived(QDateTime *at) {
    return queryTime(QStringLiteral("max(received_at)"), {}, QStringLiteral("reading webhook deliveries"), at);
}

// One aggregate timestamp of the queue as a UTC QDateTime (invalid when there are no rows).
Error DeliveryLog::queryTime(const QString &aggregate, const QString &where, const QString &purpose, QDateTime *at) {
    const pg::Result r =
        m_db.exec(QStringLiteral("SELECT to_char(%1 AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
                                 " FROM hubsync.webhook_delivery %2")
                      .arg(aggregate, where));
    if (!r.ok())
        return pg::databaseError(purpose, r.errorMessage());
    *at = r.isNull(0, 0) ? QDateTime() : QDateTime::fromString(r.text(0, 0), Qt::ISODateWithMs);
    return {};
}

Error DeliveryLog::addTombstone(const QString &collection, const QString &key) {
    return m_db.run(QStringLiteral("INSERT INTO hubsync.tombstone (collection, key) VALUES ($1, $2)"
                                   " ON CONFLICT (collection, key) DO UPDATE SET deleted_at = now()"),
                    {pg::param(collection), pg::param(key)}, QStringLiteral("recording a deleted row"));
}

Error DeliveryLog::hasTombstone(const QString &collection, const QString &key, bool *found) {
    const pg::Result r =
        m_db.execParams(QStringLiteral("SELECT 1 FROM hubsync.tombstone WHERE collection = $1 AND key = $2"),
                        {pg::param(collection), pg::param(key)});
    if (!r.ok())
        return pg::databaseError(QStringLiteral("reading tombstones"), r.errorMessage());
    *found = r.rows() > 0;
    return {};
}

Error DeliveryLog::prune(Pruned *pruned, int keepDays, int keepFailedDays) {
    *pruned = {};
    const pg::Result deliveries =
        m_db.execParams(QStringLiteral("DELETE FROM hubsync.webhook_delivery WHERE processed_at IS NOT NULL"
                                       " AND received_at < now() - make_interval(days => CASE WHEN outcome = 'failed'"
                                       " THEN $2::int ELSE $1::int END)"),
                        {pg::param(qint64(keepDays)), pg::param(qint64(keepFailedDays))});
    if (!deliveries.ok())
        return pg::databaseError(QStringLiteral("pruning webhook deliveries"), deliveries.errorMessage());
    const pg::Result tombstones =
        m_db.execParams(QStringLiteral("DELETE FROM hubsync.tombstone WHERE deleted_at < now() - make_interval(days"
                                       " => $1::int)"),
                        {pg::param(qint64(keepDays))});
    if (!tombstones.ok())
        return pg::databaseError(QStringLiteral("pruning tombstones"), tombstones.errorMessage());
    pruned->deliveries = int(deliveries.affectedRows());
    pruned->tombstones = int(tombstones.affectedRows());
    return {};
}

} // namespace hubsync
