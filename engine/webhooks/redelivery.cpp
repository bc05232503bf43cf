#include "webhooks/redelivery.h"

#include "core/guarded.h"
#include "core/log.h"
#include "store/deliverylog.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

namespace hubsync::webhooks {

namespace {
const QString component = QStringLiteral("webhooks");
}

Redeliverer::Redeliverer(sync::Api &api, DeliveryLog &log, Options options, QObject *parent)
    : QObject(parent)
    , m_api(api)
    , m_log(log)
    , m_options(options) {}

Redeliverer::~Redeliverer() = default;

void Redeliverer::run(const QDateTime &since) {
    if (m_running)
        return;
    m_running = true;
    m_since = since.toUTC();
    m_byGuid.clear();
    m_toRedeliver.clear();
    m_summary = {};
    fetch(QStringLiteral("/app/hook/deliveries?per_page=100"), 1);
}

void Redeliverer::fetch(const QString &url, int page) {
    m_api.app("GET", url,
              whileAlive(this, [page](Redeliverer &self, const sync::Page &answer) { self.onPage(answer, page); }));
}

void Redeliverer::fail(const Error &error) {
    m_running = false;
    Q_EMIT failed(error);
}

void Redeliverer::onPage(const sync::Page &page, int pageNumber) {
    if (page.error)
        return fail(Error::make(page.error.kind, QStringLiteral("listing webhook deliveries: ") + page.error.message,
                                page.error.httpStatus));
    const QJsonDocument doc = QJsonDocument::fromJson(page.body);
    if (!doc.isArray())
        return fail(Error::make(Error::Kind::GitHubUnavailable,
                                QStringLiteral("listing webhook deliveries: GitHub sent a malformed body")));
    bool older = false;
    for (const QJsonValue &v : doc.array()) {
        const QJsonObject d = v.toObject();
        const QDateTime at = QDateTime::fromString(d.value(QStringLiteral("delivered_at")).toString(), Qt::ISODate);
        if (at.isValid() && at < m_since) {
            older = true; // newest first: everything after this is older still
            break;
        }
        const QString guid = d.value(QStringLiteral("guid")).toString();
        const qint64 id = qint64(d.value(QStringLiteral("id")).toDouble());
        if (guid.isEmpty() || id <= 0)
            continue;
        ++m_summary.listed;
        Attempts &a = m_byGuid[guid];
        a.latestId = std::max(a.latestId, id);
        const int status = d.value(QStringLiteral("status_code")).toInt();
        if (status >= 200 && status < 300)
            a.succeeded = true;
    }
    if (!older && !page.nextUrl.isEmpty() && pageNumber < m_options.maxPages) {
        fetch(page.nextUrl, pageNumber + 1);
        return;
    }
    decide();
}

void Redeliverer::decide() {
    QSet<QString> failedGuids;
    for (auto it = m_byGuid.cbegin(); it != m_byGuid.cend(); ++it) {
        if (!it->succeeded)
            failedGuids.insert(it.key());
    }
    QSet<QString> known;
    if (Error e = m_log.known(failedGuids, &known))
        return fail(e);
    for (const QString &guid : std::as_const(failedGuids)) {
        // A delivery we stored but whose answer never reached GitHub is not missed.
        if (!known.contains(guid))
            m_toRedeliver << m_byGuid.value(guid).latestId;
    }
    std::sort(m_toRedeliver.begin(), m_toRedeliver.end()); // oldest first: keeps the original order
    m_summary.missed = int(m_toRedeliver.size());
    if (m_toRedeliver.size() > m_options.maxRedeliveries) {
        logWarning(component, QStringLiteral("%1 missed webhook deliveries; redelivering the oldest %2 now, the "
                                             "polling backstop covers the rest")
                                  .arg(m_toRedeliver.size())
                                  .arg(m_options.maxRedeliveries));
        m_toRedeliver.resize(m_options.maxRedeliveries);
    }
    if (m_summary.missed > 0)
        logInfo(component,
                QStringLiteral("asking GitHub to redeliver %1 missed webhook deliveries").arg(m_summary.missed));
    redeliverNext();
}

void Redeliverer::redeliverNext() {
    if (m_toRedeliver.isEmpty()) {
        m_running = false;
        Q_EMIT finished(m_summary);
        return;
    }
    const qint64 id = m_toRedeliver.takeFirst();
    m_api.app(
        "POST", QStringLiteral("/app/hook/deliveries/%1/attempts").arg(id),
        whileAlive(this, [id](Redeliverer &self, const sync::Page &answer) {
            if (answer.error) {
                // One refused redelivery (too old, already gone) does not stop the others.
                logWarning(
                    component,
                    QStringLiteral("redelivery of webhook delivery %1 refused: %2").arg(id).arg(answer.error.message));
            } else {
                ++self.m_summary.redelivered;
            }
            self.redeliverNext();
        }));
}

} // namespace hubsync::webhooks
