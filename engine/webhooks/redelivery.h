#pragma once

#include "core/errors.h"
#include "sync/api.h"

#include <QDateTime>
#include <QHash>
#include <QObject>
#include <QStringList>

namespace hubsync {
class DeliveryLog;
}

namespace hubsync::webhooks {

// After downtime (HubSync stopped, the receiver unreachable, a network cut), GitHub does not retry
// failed deliveries by itself. A GitHub App can list its deliveries (/app/hook/deliveries, newest
// first, kept three days) and ask for any of them again. Redeliverer walks that list back to a point in
// time, finds the deliveries that never succeeded and that the DeliveryLog does not hold, and asks
// GitHub to redeliver each (POST /app/hook/deliveries/{id}/attempts); they then arrive through the
// receiver like any other delivery, signed and deduplicated.
class Redeliverer final : public QObject {
    Q_OBJECT
public:
    struct Options {
        int maxRedeliveries = 500; // per run; GitHub rate-limits redelivery requests
        int maxPages = 30;         // 3,000 deliveries
    };
    struct Summary {
        int listed = 0;      // deliveries looked at
        int missed = 0;      // failed on GitHub's side and unknown to us
        int redelivered = 0; // redelivery requests GitHub accepted
    };

    Redeliverer(sync::Api &api, DeliveryLog &log, Options options, QObject *parent = nullptr);
    ~Redeliverer() override;
    Q_DISABLE_COPY_MOVE(Redeliverer)

    // Looks at deliveries GitHub attempted at or after `since` (UTC). One run at a time.
    void run(const QDateTime &since);
    [[nodiscard]] bool isRunning() const { return m_running; }

Q_SIGNALS:
    void finished(const hubsync::webhooks::Redeliverer::Summary &summary);
    void failed(const hubsync::Error &error);

private:
    struct Attempts {
        qint64 latestId = 0;
        bool succeeded = false;
    };
    void fetch(const QString &url, int page);
    void onPage(const sync::Page &page, int pageNumber);
    void decide();
    void redeliverNext();
    void fail(const Error &error);

    sync::Api &m_api;
    DeliveryLog &m_log;
    Options m_options;
    QDateTime m_since;
    QHash<QString, Attempts> m_byGuid;
    QList<qint64> m_toRedeliver;
    Summary m_summary;
    bool m_running = false;
};

} // namespace hubsync::webhooks

Q_DECLARE_METATYPE(hubsync::webhooks::Redeliverer::Summary)
