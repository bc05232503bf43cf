#include "httplistener.h"

#include <QFile>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslServer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QUrl>

namespace hubsync::githubsim {

namespace {
constexpr int hangMs = 5 * 60 * 1000; // a "timeout" fault holds the request this long, then drops it
}

QByteArray HttpRequest::header(const char *name) const {
    for (const auto &[k, v] : headers) {
        if (k.compare(name, Qt::CaseInsensitive) == 0)
            return v;
    }
    return {};
}

void HttpResponse::setHeader(const QByteArray &name, const QByteArray &value) {
    for (auto &[k, v] : headers) {
        if (k.compare(name, Qt::CaseInsensitive) == 0) {
            v = value;
            return;
        }
    }
    headers.append({name, value});
}

QByteArray HttpResponse::header(const char *name) const {
    for (const auto &[k, v] : headers) {
        if (k.compare(name, Qt::CaseInsensitive) == 0)
            return v;
    }
    return {};
}

QByteArray reasonPhrase(int status) {
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 411:
        return "Length Required";
    case 413:
        return "Payload Too Large";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "Unknown";
    }
}

struct HttpListener::Connection {
    QPointer<QTcpSocket> socket;
    QByteArray buffer;
    bool busy = false;         // a response is pending (delayed): later pipelined requests wait
    bool continueSent = false; // 100 Continue already sent for the request being read
    bool closing = false;
};

HttpListener::HttpListener(Handler handler, QObject *parent)
    : QObject(parent)
    , m_handler(std::move(handler))
    , m_server(new QTcpServer(this)) {
    connect(m_server, &QTcpServer::pendingConnectionAvailable, this, &HttpListener::onNewConnection);
}

bool HttpListener::useTls(const QString &certificateFile, const QString &keyFile) {
    const QList<QSslCertificate> chain = QSslCertificate::fromPath(certificateFile, QSsl::Pem);
    QFile keyIn(keyFile);
    if (chain.isEmpty() || !keyIn.open(QIODevice::ReadOnly)) {
        m_error = QStringLiteral("no PEM certificate in %1, or %2 unreadable").arg(certificateFile, keyFile);
        return false;
    }
    const QByteArray pem = keyIn.readAll();
    QSslKey key(pem, QSsl::Rsa);
    if (key.isNull())
        key = QSslKey(pem, QSsl::Ec);
    if (key.isNull()) {
        m_error = QStringLiteral("no RSA or EC private key in %1").arg(keyFile);
        return false;
    }
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setLocalCertificateChain(chain);
    configuration.setPrivateKey(key);
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    auto *server = new QSslServer(this);
    server->setSslConfiguration(configuration);
    delete m_server;
    m_server = server;
    // A pending connection is one whose handshake finished.
    connect(m_server, &QTcpServer::pendingConnectionAvailable, this, &HttpListener::onNewConnection);
    m_tls = true;
    return true;
}

HttpListener::~HttpListener() = default;

bool HttpListener::listen(const QHostAddress &address, quint16 port) {
    m_server->setMaxPendingConnections(maxConnections);
    if (!m_server->listen(address, port)) {
        m_error = m_server->errorString();
        return false;
    }
    return true;
}

quint16 HttpListener::port() const {
    return m_server->serverPort();
}

void HttpListener::onNewConnection() {
    while (QTcpSocket *socket = m_server->nextPendingConnection()) {
        if (m_connections >= maxConnections) {
            socket->abort();
            socket->deleteLater();
            continue;
        }
        ++m_connections;
        auto *c = new Connection;
        c->socket = socket;
        connect(socket, &QTcpSocket::readyRead, this, [this, c] {
            if (c->socket)
                c->buffer += c->socket->readAll();
            process(c);
        });
        connect(socket, &QTcpSocket::disconnected, this, [this, c, socket] {
            --m_connections;
            c->socket = nullptr;
            socket->deleteLater();
            // Never delete synchronously: disconnected() can fire from inside process()/send().
            if (!c->busy)
                QTimer::singleShot(0, this, [c] { delete c; });
            else
                c->closing = true; // deleted when its pending response fires
        });
    }
}

void HttpListener::fail(Connection *c, int status, const char *message) {
    HttpResponse r;
    r.status = status;
    r.setHeader("Content-Type", "application/json; charset=utf-8");
    r.body = QByteArray(R"({"message":")") + message + R"(","documentation_url":"https://docs.github.com/rest"})";
    c->buffer.clear();
    send(c, r, false);
}

void HttpListener::process(Connection *c) {
    while (c->socket && !c->busy) {
        const qsizetype headerEnd = c->buffer.indexOf("\r\n\r\n");
        if (headerEnd < 0) {
            if (c->buffer.size() > maxHeaderBytes)
                fail(c, 431, "Request header fields too large");
            return;
        }
        if (headerEnd > maxHeaderBytes) {
            fail(c, 431, "Request header fields too large");
            return;
        }
        const QList<QByteArray> lines = c->buffer.left(headerEnd).split('\n');
        const QList<QByteArray> requestLine = lines.first().trimmed().split(' ');
        if (requestLine.size() != 3 || !requestLine[2].startsWith("HTTP/1.") || requestLine[1].isEmpty() ||
            !requestLine[1].startsWith('/')) {
            fail(c, 400, "Bad request");
            return;
        }
        HttpRequest request;
        request.method = requestLine[0].toUpper();
        request.target = requestLine[1];
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QByteArray line = lines[i].trimmed();
            const qsizetype colon = line.indexOf(':');
            if (colon <= 0) {
                fail(c, 400, "Bad request");
                return;
            }
            request.headers.append({line.left(colon).trimmed(), line.mid(colon + 1).trimmed()});
        }
        if (!request.header("Transfer-Encoding").isEmpty()) {
            fail(c, 411, "Length required");
            return;
        }
        bool ok = true;
        const QByteArray lengthText = request.header("Content-Length");
        const qint64 length = lengthText.isEmpty() ? 0 : lengthText.toLongLong(&ok);
        if (!ok || length < 0) {
            fail(c, 400, "Bad request");
            return;
        }
        if (length > maxBodyBytes) {
            fail(c, 413, "Payload too large");
            return;
        }
        if (c->buffer.size() < headerEnd + 4 + length) {
            if (!c->continueSent && request.header("Expect").compare("100-continue", Qt::CaseInsensitive) == 0) {
                c->socket->write("HTTP/1.1 100 Continue\r\n\r\n");
                c->continueSent = true;
            }
            return;
        }
        request.body = c->buffer.mid(headerEnd + 4, length);
        c->buffer.remove(0, headerEnd + 4 + length);
        c->continueSent = false;
        const QUrl url = QUrl::fromEncoded(request.target.startsWith("//") ? request.target.mid(1) : request.target);
        request.path = url.path(QUrl::FullyDecoded);
        request.query = QUrlQuery(url);
        const bool keepAlive = request.header("Connection").compare("close", Qt::CaseInsensitive) != 0;

        ++m_inFlight;
        HttpResponse response = m_handler(request);
        const bool head = request.method == "HEAD";
        if (response.delayMs <= 0 && response.fault == HttpResponse::Fault::None) {
            --m_inFlight;
            send(c, response, keepAlive, head);
            continue;
        }
        c->busy = true;
        const int delay = response.fault == HttpResponse::Fault::Hang ? hangMs : response.delayMs;
        QTimer::singleShot(delay, this, [this, c, response, keepAlive, head] {
            --m_inFlight;
            c->busy = false;
            if (c->closing || !c->socket) {
                delete c;
                return;
            }
            if (response.fault == HttpResponse::Fault::Hang) {
                c->socket->abort();
                return;
            }
            send(c, response, keepAlive, head);
            process(c);
        });
        return;
    }
}

void HttpListener::send(Connection *c, const HttpResponse &response, bool keepAlive, bool head) {
    if (!c->socket)
        return;
    if (response.fault == HttpResponse::Fault::Reset) {
        c->socket->abort();
        return;
    }
    QByteArray out = "HTTP/1.1 " + QByteArray::number(response.status) + ' ' + reasonPhrase(response.status) + "\r\n";
    for (const auto &[k, v] : response.headers)
        out += k + ": " + v + "\r\n";
    const qsizetype length = response.body.size(); // HEAD: the length the GET would have, no body
    if (response.status != 304 && response.status != 204)
        out += "Content-Length: " + QByteArray::number(length) + "\r\n";
    const bool close = !keepAlive || response.fault == HttpResponse::Fault::Truncate || response.status == 400 ||
                       response.status == 411 || response.status == 413 || response.status == 431;
    out += close ? "Connection: close\r\n\r\n" : "\r\n";
    if (!head && response.status != 304 && response.status != 204)
        out += response.fault == HttpResponse::Fault::Truncate ? response.body.left(response.body.size() / 2)
                                                               : response.body;
    c->socket->write(out);
    if (close)
        c->socket->disconnectFromHost();
}

} // namespace hubsync::githubsim
