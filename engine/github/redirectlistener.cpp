#include "github/redirectlistener.h"

#include "webhooks/httpparser.h"

#include <QHostAddress>
#include <QRandomGenerator>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

namespace hubsync::github {

namespace {

webhooks::HttpRequestParser::Limits redirectLimits() {
    webhooks::HttpRequestParser::Limits limits;
    limits.maxHeaderBytes = 16 * 1024; // browsers send a few hundred bytes of headers and cookies
    limits.maxHeaders = 64;
    limits.maxBodyBytes = 0; // redirects are GETs
    return limits;
}

QByteArray page(const QString &title, const QString &text) {
    return QByteArrayLiteral("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>") +
           title.toHtmlEscaped().toUtf8() + QByteArrayLiteral("</title></head><body>\n<p>") +
           text.toHtmlEscaped().toUtf8() + QByteArrayLiteral("</p>\n</body></html>\n");
}

} // namespace

struct RedirectListener::Connection {
    webhooks::HttpRequestParser parser{redirectLimits()};
    QTimer idle;
};

RedirectListener::RedirectListener(QObject *parent)
    : QObject(parent)
    , m_server(new QTcpServer(this)) {
    // 128 random bits, URL-safe.
    QByteArray random(16, '\0');
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(random.data()), 4);
    m_state = QString::fromLatin1(random.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
    connect(m_server, &QTcpServer::newConnection, this, &RedirectListener::onNewConnection);
}

RedirectListener::~RedirectListener() {
    for (auto it = m_connections.begin(); it != m_connections.end(); ++it) {
        it.key()->disconnect(this);
        delete it.value();
    }
}

bool RedirectListener::listen(QString *error) {
    if (m_server->isListening())
        return true;
    if (!m_server->listen(QHostAddress::LocalHost, 0)) {
        *error = QStringLiteral("cannot listen on 127.0.0.1 for GitHub's redirect: %1").arg(m_server->errorString());
        return false;
    }
    return true;
}

bool RedirectListener::isListening() const {
    return m_server->isListening();
}

quint16 RedirectListener::port() const {
    return m_server->serverPort();
}

QUrl RedirectListener::url(const QString &path) const {
    return QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(port()).arg(path));
}

void RedirectListener::servePage(const QString &path, const QByteArray &html) {
    m_pages.insert(path, html);
}

void RedirectListener::expectRedirect(const QString &path, const QByteArray &doneHtml) {
    m_redirects.insert(path, doneHtml);
}

void RedirectListener::onNewConnection() {
    while (QTcpSocket *socket = m_server->nextPendingConnection()) {
        if (m_connections.size() >= MaxConnections) {
            socket->abort();
            socket->deleteLater();
            continue;
        }
        auto *connection = new Connection;
        m_connections.insert(socket, connection);
        connection->idle.setSingleShot(true);
        connect(&connection->idle, &QTimer::timeout, this, [this, socket] { drop(socket); });
        connection->idle.start(IdleTimeoutMs);
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadable(socket); });
        connect(socket, &QTcpSocket::disconnected, this, [this, socket] { drop(socket); });
        if (socket->bytesAvailable() > 0)
            onReadable(socket);
    }
}

void RedirectListener::onReadable(QTcpSocket *socket) {
    Connection *connection = m_connections.value(socket);
    if (!connection)
        return;
    connection->parser.append(socket->readAll());
    webhooks::HttpRequest request;
    const auto state = connection->parser.next(&request);
    if (state == webhooks::HttpRequestParser::State::NeedMore)
        return;
    if (state == webhooks::HttpRequestParser::State::Failed) {
        answer(socket, connection->parser.errorStatus(),
               page(QStringLiteral("HubSync"), QString::fromLatin1(connection->parser.errorMessage())));
        return;
    }
    if (request.method != "GET") {
        answer(socket, 405, page(QStringLiteral("HubSync"), QStringLiteral("Only GET is answered here.")));
        return;
    }
    const QString path = QString::fromUtf8(request.path());
    const qsizetype q = request.target.indexOf('?');
    const QUrlQuery query(q < 0 ? QString() : QString::fromUtf8(request.target.mid(q + 1)));
    if (const auto it = m_pages.constFind(path); it != m_pages.constEnd()) {
        answer(socket, 200, it.value());
        return;
    }
    const auto it = m_redirects.constFind(path);
    if (it == m_redirects.constEnd()) {
        answer(socket, 404, page(QStringLiteral("HubSync"), QStringLiteral("Nothing here.")));
        return;
    }
    if (query.queryItemValue(QStringLiteral("state")) != m_state) {
        answer(socket, 400,
               page(QStringLiteral("HubSync"), QStringLiteral("This link does not belong to the set-up HubSync is "
                                                              "running now; start it again from HubSync.")));
        return;
    }
    const QByteArray done = it.value();
    answer(socket, 200, done);
    Q_EMIT redirected(path, query);
}

void RedirectListener::answer(QTcpSocket *socket, int status, const QByteArray &html) {
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + webhooks::reasonPhrase(status) + "\r\n";
    out += "Content-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\nConnection: close\r\n";
    out += "Content-Security-Policy: default-src 'none'; form-action *; script-src 'unsafe-inline'\r\n";
    out += "Content-Length: " + QByteArray::number(html.size()) + "\r\n\r\n";
    out += html;
    socket->write(out);
    // One request per connection: the peer gets its answer, then the socket closes.
    if (Connection *connection = m_connections.value(socket))
        connection->idle.start(IdleTimeoutMs);
    socket->disconnectFromHost();
}

void RedirectListener::drop(QTcpSocket *socket) {
    Connection *connection = m_connections.take(socket);
    if (!connection)
        return;
    delete connection;
    socket->disconnect(this);
    socket->abort();
    socket->deleteLater();
}

} // namespace hubsync::github
