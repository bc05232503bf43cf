#include "scriptedserver.h"

#include <QHostAddress>
#include <QTcpSocket>
#include <QTimer>

#include <memory>

namespace hubsync::test {

ScriptedServer::ScriptedServer(Handler handler, QObject *parent)
    : QObject(parent)
    , m_handler(std::move(handler)) {
    connect(&m_server, &QTcpServer::newConnection, this, &ScriptedServer::onConnection);
    m_server.listen(QHostAddress::LocalHost, 0);
}

ScriptedServer::~ScriptedServer() = default;

QUrl ScriptedServer::baseUrl() const {
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort()));
}

QByteArray ScriptedServer::response(int status, const QList<QPair<QByteArray, QByteArray>> &headers,
                                    const QByteArray &body, bool withContentLength) {
    QByteArray raw = "HTTP/1.1 " + QByteArray::number(status) + " Scripted\r\n";
    for (const auto &[name, value] : headers)
        raw += name + ": " + value + "\r\n";
    if (withContentLength)
        raw += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    raw += "Connection: close\r\n\r\n" + body;
    return raw;
}

void ScriptedServer::onConnection() {
    while (QTcpSocket *socket = m_server.nextPendingConnection()) {
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        auto buffer = std::make_shared<QByteArray>();
        auto answered = std::make_shared<bool>(false);
        auto counted = std::make_shared<bool>(false);
        connect(socket, &QTcpSocket::disconnected, this, [this, counted, answered] {
            if (*counted && !*answered) { // a request the client gave up on before we answered
                *answered = true;
                --pending;
            }
        });
        connect(socket, &QTcpSocket::readyRead, this, [this, socket, buffer, answered, counted] {
            *buffer += socket->readAll();
            if (*counted)
                return;
            const qsizetype headerEnd = buffer->indexOf("\r\n\r\n");
            if (headerEnd < 0)
                return;
            Request request;
            const QList<QByteArray> lines = buffer->left(headerEnd).split('\n');
            const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
            request.method = requestLine.value(0);
            request.target = requestLine.value(1);
            for (qsizetype i = 1; i < lines.size(); ++i) {
                const qsizetype colon = lines[i].indexOf(':');
                if (colon > 0)
                    request.headers.insert(lines[i].left(colon).trimmed().toLower(), lines[i].mid(colon + 1).trimmed());
            }
            const qsizetype length = request.headers.value("content-length").toLongLong();
            if (buffer->size() < headerEnd + 4 + length)
                return;
            request.body = buffer->mid(headerEnd + 4, length);
            *counted = true;
            requests.append(request);
            peakPending = std::max(peakPending, ++pending);
            const Reply reply = m_handler(request);
            if (reply.hang)
                return;
            QTimer::singleShot(reply.delayMs, socket, [this, socket, answered, raw = reply.raw] {
                // The socket is the timer's context: the timer dies with it.
                if (*answered)
                    return;
                --pending;
                *answered = true;
                socket->write(raw);
                socket->disconnectFromHost();
            });
        });
    }
}

} // namespace hubsync::test
