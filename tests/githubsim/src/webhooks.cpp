#include "webhooks.h"

#include "jsonwriter.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMessageAuthenticationCode>
#include <QNetworkReply>
#include <QTimer>
#include <QUuid>

#include <memory>

namespace hubsync::githubsim {

namespace {
constexpr int deliveryTimeoutMs = 10000; // GitHub gives a receiver 10 s
constexpr qsizetype maxResponseBytes = 64 * 1024;
} // namespace

WebhookSender::WebhookSender(QObject *parent)
    : QObject(parent) {}

void WebhookSender::configure(const QString &url, const QByteArray &secret) {
    m_url = url;
    m_secret = secret;
}

void WebhookSender::setMode(Mode mode, int delayMs) {
    m_mode = mode;
    m_delayMs = qMax(0, delayMs);
}

QByteArray WebhookSender::signature256(const QByteArray &secret, const QByteArray &body) {
    return "sha256=" + QMessageAuthenticationCode::hash(body, secret, QCryptographicHash::Sha256).toHex();
}

qint64 WebhookSender::send(const QString &event, const QString &action, qint64 repositoryId,
                           const QByteArray &payload) {
    Delivery d;
    d.id = m_nextId++;
    d.guid = QUuid::createUuid().toByteArray(QUuid::WithoutBraces);
    d.event = event;
    d.action = action;
    d.repositoryId = repositoryId;
    d.payload = payload;
    d.deliveredAt = QDateTime::currentSecsSinceEpoch();
    d.requestHeaders = {
        {"Accept", "*/*"},
        {"Content-Type", "application/json"},
        {"User-Agent", "GitHub-Hookshot/sim"},
        {"X-GitHub-Delivery", d.guid},
        {"X-GitHub-Event", event.toLatin1()},
        {"X-GitHub-Hook-ID", "1"},
        {"X-GitHub-Hook-Installation-Target-ID", QByteArray::number(m_installationId > 0 ? m_installationId : 1)},
        {"X-GitHub-Hook-Installation-Target-Type", m_installationId > 0 ? "integration" : "repository"}};
    if (!m_secret.isEmpty()) {
        d.requestHeaders.append(
            {"X-Hub-Signature",
             "sha1=" + QMessageAuthenticationCode::hash(payload, m_secret, QCryptographicHash::Sha1).toHex()});
        d.requestHeaders.append({"X-Hub-Signature-256", signature256(m_secret, payload)});
    }
    m_deliveries.append(d);
    if (m_deliveries.size() > maxRecorded)
        m_deliveries.removeFirst();
    const qint64 id = d.id;
    if (m_url.isEmpty()) {
        m_deliveries.last().status = QStringLiteral("No webhook URL configured");
        return id;
    }
    if (m_mode == Mode::Drop) {
        // Like a receiver that never answered: recorded as failed, so redelivery can recover it.
        m_deliveries.last().status = QStringLiteral("timed out");
        return id;
    }
    if (m_mode == Mode::Delay && m_delayMs > 0)
        QTimer::singleShot(m_delayMs, this, [this, id] { post(id); });
    else
        post(id);
    return id;
}

WebhookSender::Delivery *WebhookSender::find(qint64 id) {
    for (Delivery &d : m_deliveries) {
        if (d.id == id)
            return &d;
    }
    return nullptr;
}

void WebhookSender::post(qint64 id) {
    Delivery *d = find(id);
    if (!d || m_url.isEmpty())
        return;
    QNetworkRequest request{QUrl(m_url)};
    for (const auto &[k, v] : d->requestHeaders)
        request.setRawHeader(k, v);
    request.setTransferTimeout(deliveryTimeoutMs);
    auto timer = std::make_shared<QElapsedTimer>();
    timer->start();
    QNetworkReply *reply = m_network.post(request, d->payload);
    ++m_sent;
    connect(reply, &QNetworkReply::finished, this, [this, reply, id, timer] {
        reply->deleteLater();
        Delivery *done = find(id);
        if (!done)
            return;
        done->durationMs = timer->elapsed();
        done->statusCode = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        done->responseBody = reply->read(maxResponseBytes);
        if (reply->error() == QNetworkReply::OperationCanceledError || reply->error() == QNetworkReply::TimeoutError)
            done->status = QStringLiteral("timed out");
        else if (done->statusCode == 0)
            done->status = QStringLiteral("failed to connect to host");
        else
            done->status = done->statusCode >= 200 && done->statusCode < 300
                               ? QStringLiteral("OK")
                               : QStringLiteral("Invalid HTTP Response: %1").arg(done->statusCode);
    });
}

bool WebhookSender::redeliver(qint64 deliveryId) {
    const Delivery *original = find(deliveryId);
    if (!original)
        return false;
    Delivery d = *original;
    d.id = m_nextId++;
    d.redelivery = true;
    d.deliveredAt = QDateTime::currentSecsSinceEpoch();
    d.statusCode = 0;
    d.status = QStringLiteral("Pending");
    d.responseBody.clear();
    m_deliveries.append(d);
    if (m_deliveries.size() > maxRecorded)
        m_deliveries.removeFirst();
    post(d.id); // redeliveries ignore the drop/delay switch: they are the recovery path
    return true;
}

QJsonObject WebhookSender::summary(const Delivery &d) const {
    return QJsonObject{
        {QStringLiteral("id"), d.id},
        {QStringLiteral("guid"), QString::fromLatin1(d.guid)},
        {QStringLiteral("delivered_at"), QString::fromLatin1(isoTime(d.deliveredAt))},
        {QStringLiteral("redelivery"), d.redelivery},
        {QStringLiteral("duration"), double(d.durationMs) / 1000.0},
        {QStringLiteral("status"), d.status},
        {QStringLiteral("status_code"), d.statusCode},
        {QStringLiteral("event"), d.event},
        {QStringLiteral("action"), d.action.isEmpty() ? QJsonValue() : QJsonValue(d.action)},
        {QStringLiteral("installation_id"), m_installationId > 0 ? QJsonValue(m_installationId) : QJsonValue()},
        {QStringLiteral("repository_id"), d.repositoryId > 0 ? QJsonValue(d.repositoryId) : QJsonValue()}};
}

QList<QJsonObject> WebhookSender::summaries() const {
    QList<QJsonObject> list;
    list.reserve(m_deliveries.size());
    for (auto it = m_deliveries.crbegin(); it != m_deliveries.crend(); ++it)
        list << summary(*it);
    return list;
}

std::optional<QJsonObject> WebhookSender::delivery(qint64 id) const {
    for (const Delivery &d : m_deliveries) {
        if (d.id != id)
            continue;
        QJsonObject o = summary(d);
        QJsonObject headers;
        for (const auto &[k, v] : d.requestHeaders)
            headers.insert(QString::fromLatin1(k), QString::fromLatin1(v));
        o.insert(QStringLiteral("url"), m_url);
        o.insert(QStringLiteral("request"),
                 QJsonObject{{QStringLiteral("headers"), headers},
                             {QStringLiteral("payload"), QJsonDocument::fromJson(d.payload).object()}});
        o.insert(QStringLiteral("response"),
                 QJsonObject{{QStringLiteral("headers"), QJsonObject()},
                             {QStringLiteral("payload"), QString::fromUtf8(d.responseBody)}});
        return o;
    }
    return std::nullopt;
}

} // namespace hubsync::githubsim
