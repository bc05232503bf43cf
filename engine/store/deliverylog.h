#pragma once

#include "core/errors.h"

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QSet>
#include <QString>

namespace hubsync::pg {
class Connection;
}

namespace hubsync {

// The durable queue of webhook deliveries (hubsync.webhook_delivery). The receiver stores a delivery
// before answering GitHub, so an accepted delivery survives a crash; the primary key on
// X-GitHub-Delivery makes GitHub's retries and our own redeliveries no-ops.
class DeliveryLog final {
public:
    explicit DeliveryLog(pg::Connection &connection);
    Q_DISABLE_COPY_MOVE(DeliveryLog)

    enum class Enqueued { New, Duplicate };
    Error enqueue(const QString &deliveryId, const QString &event, const QString &action, const QByteArray &payload,
                  Enqueued *result);

    struct Pending {
        QString deliveryId;
        QString event;
        QString action;
        QByteArray payload;
        int attempts = 0;
        qint64 receivedMs = 0; // epoch ms
    };
    // The oldest deliveries not yet applied whose retry time has come, in arrival order.
    Error pending(int limit, QList<Pending> *out);
    // When the next delayed retry is due (invalid when none is waiting).
    Error nextRetryAt(QDateTime *at);

    // Run inside the transaction that applied the delivery. outcome: "applied", "ignored", "failed".
    Error markDone(const QString &deliveryId, const QString &outcome, const QString &note = {});
    // A transient failure: try again after `retryInSeconds`.
    Error markRetry(const QString &deliveryId, const QString &error, int retryInSeconds);

    // Which of these delivery ids are already stored (for redelivery after downtime).
    Error known(const QSet<QString> &ids, QSet<QString> *out);
    // The newest stored delivery's arrival time (invalid when none).
    Error newestReceived(QDateTime *at);

    // Tombstones: a row deleted by a webhook must not come back from an older event applied later.
    Error addTombstone(const QString &collection, const QString &key);
    Error hasTombstone(const QString &collection, const QString &key, bool *found);

    // Bounded history. Applied and ignored deliveries are kept for `keepDays` (GitHub redelivers from the
    // last three days, so anything older cannot be a duplicate or a missed delivery any more), failed ones
    // for `keepFailedDays` (the reason is there to be read); tombstones as long as applied deliveries,
    // since no older event for the row can arrive after that. Pending deliveries are never removed.
    struct Pruned {
        int deliveries = 0;
        int tombstones = 0;
    };
    static constexpr int defaultKeepDays = 7;
    static constexpr int defaultKeepFailedDays = 30;
    Error prune(Pruned *pruned, int keepDays = defaultKeepDays, int keepFailedDays = defaultKeepFailedDays);

private:
    Error queryTime(const QString &aggregate, const QString &where, const QString &purpose, QDateTime *at);

    pg::Connection &m_db;
};

} // namespace hubsync
