#pragma once

// A minimal scripted HTTP/1.1 server on 127.0.0.1 for the client's transport-level tests (retries,
// timeouts, 304, token refresh, size bounds, Link safety). It answers whatever the test scripts and
// knows nothing about GitHub: behavioural tests use the GitHub simulator (tests/githubsim) instead.

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QObject>
#include <QPair>
#include <QTcpServer>
#include <QUrl>

#include <functional>

namespace hubsync::test {

class ScriptedServer final : public QObject {
    Q_OBJECT
public:
    struct Request {
        QByteArray method;
        QByteArray target;                     // path and query as sent
        QHash<QByteArray, QByteArray> headers; // lower-case names
        QByteArray body;
    };
    struct Reply {
        QByteArray raw;    // the complete response bytes
        int delayMs = 0;   // answer after this long
        bool hang = false; // never answer (the client must time out)
    };
    using Handler = std::function<Reply(const Request &)>;

    explicit ScriptedServer(Handler handler, QObject *parent = nullptr);
    Q_DISABLE_COPY_MOVE(ScriptedServer)
    ~ScriptedServer() override;

    [[nodiscard]] QUrl baseUrl() const;
    [[nodiscard]] bool isListening() const { return m_server.isListening(); }

    QList<Request> requests;
    int pending = 0;     // requests received and not yet answered
    int peakPending = 0; // the most ever pending at once

    // "HTTP/1.1 <status>" with the headers, Content-Length (unless omitted: body until close) and
    // Connection: close.
    static QByteArray response(int status, const QList<QPair<QByteArray, QByteArray>> &headers = {},
                               const QByteArray &body = {}, bool withContentLength = true);

private:
    void onConnection();

    Handler m_handler;
    QTcpServer m_server;
};

} // namespace hubsync::test
