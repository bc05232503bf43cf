#pragma once

#include "core/errors.h"
#include "webhooks/httpparser.h"

#include <QByteArray>
#include <QHostAddress>
#include <QObject>

class QTcpServer;
class QTcpSocket;

namespace hubsync {
class DeliveryLog;
}

namespace hubsync::webhooks {

// GitHub's webhook deliveries arrive here (--webhook-listen). Every request is treated as hostile:
// bounded (HttpRequestParser's limits, a connection cap, an idle timeout), signature-checked in
// constant time before anything else is read from it, JSON-validated, then stored durably in the
// DeliveryLog before GitHub gets its answer, well inside GitHub's 10 s. Applying the change happens
// later (sync::WebhookApplier), so a slow database write or a GitHub re-fetch never delays the answer.
class WebhookReceiver final : public QObject {
    Q_OBJECT
public:
    struct Options {
        QHostAddress address = QHostAddress::LocalHost;
        quint16 port = 0;          // 0: any free port (see port())
        QByteArray secret;         // required: unsigned deliveries are refused
        int maxConnections = 64;   // further connections are closed at once
        int idleTimeoutMs = 30000; // a connection that sends nothing for this long is closed
        HttpRequestParser::Limits limits;
    };
    struct Stats {
        qint64 accepted = 0;
        qint64 duplicates = 0;
        qint64 badSignature = 0;
        qint64 malformed = 0;
        qint64 failed = 0; // could not be stored (database down): GitHub sees a 503 and retries later
    };
    struct Answer {
        int status = 200;
        QByteArray message;
    };

    WebhookReceiver(DeliveryLog &log, Options options, QObject *parent = nullptr);
    ~WebhookReceiver() override;
    Q_DISABLE_COPY_MOVE(WebhookReceiver)

    Error listen();
    [[nodiscard]] quint16 port() const;
    [[nodiscard]] const Stats &stats() const { return m_stats; }

    // The decision for one complete request (no sockets; used by tests and the fuzzer too).
    Answer handle(const HttpRequest &request);

Q_SIGNALS:
    void deliveryQueued(const QString &deliveryId, const QString &event);

private:
    struct Connection;
    void onNewConnection();
    void process(Connection *c);
    static void send(QTcpSocket *socket, const Answer &answer, bool keepAlive);

    DeliveryLog &m_log;
    Options m_options;
    QTcpServer *m_server = nullptr;
    int m_connections = 0;
    Stats m_stats;
};

} // namespace hubsync::webhooks
