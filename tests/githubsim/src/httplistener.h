#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QPair>
#include <QPointer>
#include <QString>
#include <QUrlQuery>

#include <functional>

class QTcpServer;
class QTcpSocket;

namespace hubsync::githubsim {

using HeaderList = QList<QPair<QByteArray, QByteArray>>;

struct HttpRequest {
    QByteArray method;
    QByteArray target; // as sent: path and query
    QString path;      // decoded path
    QUrlQuery query;
    HeaderList headers;
    QByteArray body;
    [[nodiscard]] QByteArray header(const char *name) const;
};

struct HttpResponse {
    enum class Fault { None, Hang, Truncate, Reset };
    int status = 200;
    HeaderList headers;
    QByteArray body;
    int delayMs = 0;
    Fault fault = Fault::None;

    void setHeader(const QByteArray &name, const QByteArray &value);
    [[nodiscard]] QByteArray header(const char *name) const;
};

// A small HTTP/1.1 server on QTcpServer: keep-alive, pipelining (answered in order), bounded header and
// body sizes, Expect: 100-continue, and the fault modes the simulator injects (delayed, truncated,
// never answered, reset). Qt's HTTP server cannot bound bodies nor cut a response short, hence this.
class HttpListener final : public QObject {
    Q_OBJECT
public:
    using Handler = std::function<HttpResponse(const HttpRequest &)>;
    static constexpr qsizetype maxHeaderBytes = 64 * 1024;
    static constexpr qsizetype maxBodyBytes = 8 * 1024 * 1024;
    static constexpr int maxConnections = 512;

    explicit HttpListener(Handler handler, QObject *parent = nullptr);
    // Serves HTTPS instead of HTTP: PEM certificate (chain) and private key files. Before listen().
    bool useTls(const QString &certificateFile, const QString &keyFile);
    [[nodiscard]] bool tls() const { return m_tls; }
    ~HttpListener() override;
    Q_DISABLE_COPY_MOVE(HttpListener)

    bool listen(const QHostAddress &address, quint16 port);
    [[nodiscard]] quint16 port() const;
    [[nodiscard]] QString errorString() const { return m_error; }
    // Requests being answered right now (read and not yet fully written, delays included).
    [[nodiscard]] int inFlight() const { return m_inFlight; }

private:
    struct Connection;
    void onNewConnection();
    void process(Connection *c);
    void send(Connection *c, const HttpResponse &response, bool keepAlive, bool head = false);
    void fail(Connection *c, int status, const char *message);

    Handler m_handler;
    QTcpServer *m_server = nullptr;
    QString m_error;
    bool m_tls = false;
    int m_inFlight = 0;
    int m_connections = 0;
};

QByteArray reasonPhrase(int status);

} // namespace hubsync::githubsim
