#pragma once

// Test helpers for the simulator's own tests: an in-process Server on a loopback port and a synchronous
// HTTP client (a local event loop keeps the server answering while the test waits).

#include "server.h"

#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QTimer>

#include <memory>

namespace hubsync::githubsim::test {

struct Reply {
    int status = 0;
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
    QByteArray body;
    QList<QNetworkReply::RawHeaderPair> headers;
    [[nodiscard]] QByteArray header(const QByteArray &name) const {
        for (const auto &[k, v] : headers)
            if (k.compare(name, Qt::CaseInsensitive) == 0)
                return v;
        return {};
    }
    [[nodiscard]] QJsonDocument json() const { return QJsonDocument::fromJson(body); }
    [[nodiscard]] QJsonObject object() const { return json().object(); }
    [[nodiscard]] QJsonArray array() const { return json().array(); }
    [[nodiscard]] QString nextLink() const {
        static const QRegularExpression next(QStringLiteral(R"(<([^>]*)>;\s*rel="next")"));
        const auto m = next.match(QString::fromUtf8(header("Link")));
        return m.hasMatch() ? m.captured(1) : QString();
    }
};

class SimClient final {
public:
    explicit SimClient(ServerOptions options = {})
        : m_server(std::make_unique<Server>(std::move(options))) {
        QString error;
        m_ok = m_server->listen(QHostAddress::LocalHost, 0, &error);
    }
    [[nodiscard]] bool ok() const { return m_ok && m_server->startupError().isEmpty(); }
    Server &server() { return *m_server; }
    [[nodiscard]] QString base() const { return m_server->baseUrl(); }

    Reply request(const QByteArray &verb, const QString &pathOrUrl, const QByteArray &body = {},
                  const QByteArray &token = "ghp_sandbox", const QList<QPair<QByteArray, QByteArray>> &headers = {},
                  int timeoutMs = 20000) {
        QNetworkRequest r(QUrl(pathOrUrl.startsWith(QLatin1Char('/')) ? base() + pathOrUrl : pathOrUrl));
        r.setRawHeader("Accept", "application/vnd.github+json");
        if (!token.isEmpty())
            r.setRawHeader("Authorization",
                           token.startsWith("Bearer ") || token.startsWith("token ") ? token : "token " + token);
        if (!body.isEmpty())
            r.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
        for (const auto &[k, v] : headers)
            r.setRawHeader(k, v);
        r.setTransferTimeout(timeoutMs);
        r.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
        QNetworkReply *reply = m_network.sendCustomRequest(r, verb, body);
        QEventLoop loop;
        QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        loop.exec();
        Reply out;
        out.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        out.error = reply->error();
        out.body = reply->readAll();
        out.headers = reply->rawHeaderPairs();
        reply->deleteLater();
        return out;
    }
    Reply get(const QString &path, const QByteArray &token = "ghp_sandbox") { return request("GET", path, {}, token); }
    Reply control(const QByteArray &verb, const QString &path, const QJsonObject &body = {}) {
        return request(verb, path, body.isEmpty() ? QByteArray() : QJsonDocument(body).toJson(QJsonDocument::Compact),
                       {});
    }
    // Follows rel="next" and returns every item (pages counted in *pages).
    QJsonArray walk(const QString &path, int *pages = nullptr, const QByteArray &token = "ghp_sandbox") {
        QJsonArray all;
        QString next = path;
        int n = 0;
        while (!next.isEmpty() && n < 100000) {
            const Reply r = get(next, token);
            if (r.status != 200)
                break;
            ++n;
            const QJsonArray items =
                r.json().isArray() ? r.array() : r.object().value(QStringLiteral("repositories")).toArray();
            for (const QJsonValue &v : items)
                all.append(v);
            next = r.nextLink();
        }
        if (pages)
            *pages = n;
        return all;
    }

private:
    std::unique_ptr<Server> m_server;
    QNetworkAccessManager m_network;
    bool m_ok = false;
};

// Keys of an object, recursively one level into object-valued fields ("user.login").
inline QSet<QString> keyPaths(const QJsonObject &o, int depth = 1, const QString &prefix = {}) {
    QSet<QString> keys;
    for (auto it = o.constBegin(); it != o.constEnd(); ++it) {
        keys.insert(prefix + it.key());
        if (depth > 0 && it.value().isObject())
            keys.unite(keyPaths(it.value().toObject(), depth - 1, prefix + it.key() + QLatin1Char('.')));
        if (depth > 0 && it.value().isArray() && !it.value().toArray().isEmpty() &&
            it.value().toArray().first().isObject())
            keys.unite(keyPaths(it.value().toArray().first().toObject(), depth - 1,
                                prefix + it.key() + QStringLiteral("[].")));
    }
    return keys;
}

// A webhook receiver on a loopback port: records every request it gets and answers 200.
struct Receiver {
    QList<HttpRequest> received;
    HttpListener listener{[this](const HttpRequest &r) {
        received << r;
        HttpResponse ok;
        ok.status = 200;
        return ok;
    }};
    Receiver() { listener.listen(QHostAddress::LocalHost, 0); }
    [[nodiscard]] QString url() const { return QStringLiteral("http://127.0.0.1:%1/webhooks").arg(listener.port()); }
};

inline QString fixtures() {
    return qEnvironmentVariable("HUBSYNC_FIXTURES", QStringLiteral("/work/shared/github-fixtures"));
}

} // namespace hubsync::githubsim::test
