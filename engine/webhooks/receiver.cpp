#include "webhooks/receiver.h"

#include "core/log.h"
#include "store/deliverylog.h"
#include "webhooks/signature.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

namespace hubsync::webhooks {

namespace {

const QString component = QStringLiteral("webhooks");

// GitHub's delivery ids are GUIDs; redeliveries keep the id. Anything else is refused before it
// reaches the database.
bool validDeliveryId(QByteArrayView id) {
    if (id.isEmpty() || id.size() > 64)
        return false;
    for (char c : id) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '-'))
            return false;
    }
    return true;
}

bool validEventName(QByteArrayView event) {
    if (event.isEmpty() || event.size() > 64)
        return false;
    for (char c : event) {
        if (!((c >= 'a' && c <= 'z') || c == '_'))
            return false;
    }
    return true;
}

} // namespace

struct WebhookReceiver::Connection {
    QTcpSocket *socket = nullptr;
    HttpRequestParser parser;
    QTimer idle;
    bool closing = false; // answered a malformed request: read nothing more
};

WebhookReceiver::WebhookReceiver(DeliveryLog &log, Options options, QObject *parent)
    : QObject(parent)
    , m_log(log)
    , m_options(std::move(options))
    , m_server(new QTcpServer(this)) {
    connect(m_server, &QTcpServer::newConnection, this, &WebhookReceiver::onNewConnection);
}

WebhookReceiver::~WebhookReceiver() = default;

Error WebhookReceiver::listen() {
    if (m_options.secret.isEmpty())
        return Error::make(Error::Kind::Usage,
                           QStringLiteral("--webhook-listen needs --webhook-secret: GitHub signs every delivery "
                                          "with it, and unsigned deliveries cannot be trusted"));
    if (!m_server->listen(m_options.address, m_options.port))
        return Error::make(Error::Kind::Usage, QStringLiteral("cannot receive webhooks on %1:%2: %3")
                                                   .arg(m_options.address.toString())
                                                   .arg(m_options.port)
                                                   .arg(m_server->errorString()));
    logInfo(component, QStringLiteral("receiving GitHub webhooks on http://%1:%2/")
                           .arg(m_options.address.toString())
                           .arg(m_server->serverPort()));
    return {};
}

quint16 WebhookReceiver::port() const {
    return m_server->serverPort();
}

WebhookReceiver::Answer WebhookReceiver::handle(const HttpRequest &request) {
    if (request.method == "GET" || request.method == "HEAD") {
        if (request.path() == "/" || request.path() == "/health")
            return {200, "HubSync webhook receiver"};
        return {404, "not found"};
    }
    if (request.method != "POST")
        return {405, "only POST deliveries are accepted"};

    const QByteArray event = request.header("X-GitHub-Event");
    const QByteArray delivery = request.header("X-GitHub-Delivery");
    // The signature is checked before anything in the body is looked at.
    if (!verifySignature(request.body, m_options.secret, request.header("X-Hub-Signature-256"))) {
        ++m_stats.badSignature;
        logWarning(component, QStringLiteral("refused a delivery with a missing or wrong X-Hub-Signature-256"
                                             " (delivery %1)")
                                  .arg(validDeliveryId(delivery) ? QString::fromLatin1(delivery)
                                                                 : QStringLiteral("without a valid id")));
        return {401, "signature does not match"};
    }
    if (!validEventName(event)) {
        ++m_stats.malformed;
        return {400, "missing or malformed X-GitHub-Event"};
    }
    if (!validDeliveryId(delivery)) {
        ++m_stats.malformed;
        return {400, "missing or malformed X-GitHub-Delivery"};
    }
    // GitHub sends JSON, or form-encoded JSON in a "payload" field when the hook is set up that way.
    QByteArray json = request.body;
    if (request.header("Content-Type").startsWith("application/x-www-form-urlencoded")) {
        const QByteArray prefix = "payload=";
        if (!json.startsWith(prefix)) {
            ++m_stats.malformed;
            return {400, "form-encoded delivery without a payload field"};
        }
        json = QByteArray::fromPercentEncoding(json.mid(prefix.size()).replace('+', ' '));
    }
    QJsonParseError parseError{};
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject()) {
        ++m_stats.malformed;
        return {400, "body is not a JSON object"};
    }
    const QString action = document.object().value(QStringLiteral("action")).toString().left(64);
    DeliveryLog::Enqueued outcome = DeliveryLog::Enqueued::New;
    // Stored as the canonical compact form: jsonb rejects what JSON allows but Postgres does not
    // (e.g. \u0000), and Qt has already validated the text.
    if (Error e = m_log.enqueue(QString::fromLatin1(delivery), QString::fromLatin1(event), action,
                                document.toJson(QJsonDocument::Compact), &outcome)) {
        ++m_stats.failed;
        logError(component,
                 QStringLiteral("could not store delivery %1: %2").arg(QString::fromLatin1(delivery), e.message));
        return {503, "could not store the delivery; GitHub may redeliver it"};
    }
    if (outcome == DeliveryLog::Enqueued::Duplicate) {
        ++m_stats.duplicates;
        return {200, "duplicate delivery ignored"};
    }
    ++m_stats.accepted;
    Q_EMIT deliveryQueued(QString::fromLatin1(delivery), QString::fromLatin1(event));
    return {202, "accepted"};
}

void WebhookReceiver::onNewConnection() {
    while (QTcpSocket *socket = m_server->nextPendingConnection()) {
        if (m_connections >= m_options.maxConnections) {
            socket->abort();
            socket->deleteLater();
            continue;
        }
        ++m_connections;
        auto *c = new Connection;
        c->socket = socket;
        c->parser = HttpRequestParser(m_options.limits);
        c->idle.setSingleShot(true);
        c->idle.setInterval(m_options.idleTimeoutMs);
        connect(&c->idle, &QTimer::timeout, socket, &QTcpSocket::abort);
        connect(socket, &QTcpSocket::readyRead, this, [this, c] { process(c); });
        connect(socket, &QTcpSocket::disconnected, this, [this, c] {
            --m_connections;
            c->socket->deleteLater();
            // Not deleted synchronously: disconnected() may fire from inside process().
            QTimer::singleShot(0, this, [c] { delete c; });
        });
        c->idle.start();
    }
}

void WebhookReceiver::process(Connection *c) {
    if (c->closing) {
        c->socket->readAll();
        return;
    }
    c->idle.start();
    c->parser.append(c->socket->readAll());
    for (;;) {
        HttpRequest request;
        const HttpRequestParser::State state = c->parser.next(&request);
        if (state == HttpRequestParser::State::NeedMore) {
            if (c->parser.wantsContinue())
                c->socket->write("HTTP/1.1 100 Continue\r\n\r\n");
            return;
        }
        if (state == HttpRequestParser::State::Failed) {
            ++m_stats.malformed;
            c->closing = true;
            send(c->socket, {c->parser.errorStatus(), c->parser.errorMessage()}, false);
            return;
        }
        const Answer answer = handle(request);
        send(c->socket, answer, request.keepAlive);
        if (!request.keepAlive || c->socket->state() != QAbstractSocket::ConnectedState)
            return;
    }
}

void WebhookReceiver::send(QTcpSocket *socket, const Answer &answer, bool keepAlive) {
    const QByteArray body = QJsonDocument(QJsonObject{{QStringLiteral("message"), QString::fromUtf8(answer.message)}})
                                .toJson(QJsonDocument::Compact);
    QByteArray out = "HTTP/1.1 " + QByteArray::number(answer.status) + ' ' + reasonPhrase(answer.status) +
                     "\r\nContent-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) +
                     (keepAlive ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n") + body;
    socket->write(out);
    if (!keepAlive)
        socket->disconnectFromHost();
}

} // namespace hubsync::webhooks
