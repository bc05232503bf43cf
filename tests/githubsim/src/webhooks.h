#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QNetworkAccessManager>
#include <QObject>
#include <QString>

#include <optional>

namespace hubsync::githubsim {

// Delivers webhooks like GitHub: POST with X-GitHub-Event, X-GitHub-Delivery (a GUID),
// X-Hub-Signature (sha1) and X-Hub-Signature-256 (HMAC of the raw body), User-Agent GitHub-Hookshot.
// Every delivery is recorded for the App's deliveries API; a mode switch drops or delays them.
class WebhookSender final : public QObject {
    Q_OBJECT
public:
    enum class Mode { Deliver, Drop, Delay };
    static constexpr int maxRecorded = 2000;

    explicit WebhookSender(QObject *parent = nullptr);
    Q_DISABLE_COPY_MOVE(WebhookSender)

    void configure(const QString &url, const QByteArray &secret);
    void setMode(Mode mode, int delayMs);
    [[nodiscard]] QString url() const { return m_url; }
    [[nodiscard]] bool hasSecret() const { return !m_secret.isEmpty(); }
    [[nodiscard]] Mode mode() const { return m_mode; }
    [[nodiscard]] int delayMs() const { return m_delayMs; }
    void setInstallationId(qint64 id) { m_installationId = id; }

    // Sends (or drops) one event; returns the delivery id.
    qint64 send(const QString &event, const QString &action, qint64 repositoryId, const QByteArray &payload);
    // Sends a recorded delivery again with the same GUID (GitHub's redelivery); false when unknown.
    bool redeliver(qint64 deliveryId);

    // GET /app/hook/deliveries items (newest first) and one delivery with request/response.
    [[nodiscard]] QList<QJsonObject> summaries() const;
    [[nodiscard]] std::optional<QJsonObject> delivery(qint64 id) const;
    [[nodiscard]] qint64 sentCount() const { return m_sent; }

    static QByteArray signature256(const QByteArray &secret, const QByteArray &body);

private:
    struct Delivery {
        qint64 id = 0;
        QByteArray guid;
        QString event;
        QString action;
        qint64 repositoryId = 0;
        QByteArray payload;
        QList<QPair<QByteArray, QByteArray>> requestHeaders;
        qint64 deliveredAt = 0;
        bool redelivery = false;
        int statusCode = 0;
        QString status = QStringLiteral("Pending");
        QByteArray responseBody;
        qint64 durationMs = 0;
    };
    void post(qint64 index);
    [[nodiscard]] QJsonObject summary(const Delivery &d) const;
    Delivery *find(qint64 id);

    QNetworkAccessManager m_network;
    QString m_url;
    QByteArray m_secret;
    Mode m_mode = Mode::Deliver;
    int m_delayMs = 0;
    qint64 m_installationId = 0;
    qint64 m_nextId = 1;
    qint64 m_sent = 0;
    QList<Delivery> m_deliveries;
};

} // namespace hubsync::githubsim
