#pragma once

#include <QByteArray>
#include <QHash>
#include <QObject>
#include <QString>
#include <QUrl>
#include <QUrlQuery>

class QTcpServer;
class QTcpSocket;

namespace hubsync::github {

// The loopback HTTP listener that catches GitHub's browser redirects during a first run (the manifest's
// ?code=..., the installation's ?installation_id=...&setup_action=...). Listens on 127.0.0.1 only, on
// a port the system picks. Everything a browser (or anything else on this machine) sends is hostile:
// requests are parsed with the webhook receiver's bounded parser, only GET of known paths carrying the
// expected `state` is reported, connections are few and short-lived.
class RedirectListener final : public QObject {
    Q_OBJECT
public:
    explicit RedirectListener(QObject *parent = nullptr);
    ~RedirectListener() override;
    Q_DISABLE_COPY_MOVE(RedirectListener)

    // Binds 127.0.0.1:0. Returns false with a message when no port could be had.
    bool listen(QString *error);
    [[nodiscard]] bool isListening() const;
    [[nodiscard]] quint16 port() const;
    // http://127.0.0.1:PORT<path>
    [[nodiscard]] QUrl url(const QString &path) const;

    // The random value every reported redirect must carry as ?state= (CSRF guard: a page elsewhere
    // cannot feed a code of its own choosing into this flow).
    [[nodiscard]] QString state() const { return m_state; }

    // GET <path> answers `html` (e.g. the manifest form page) regardless of state.
    void servePage(const QString &path, const QByteArray &html);
    // GET <path>?state=<state>&... is reported through redirected() and answered with `doneHtml`.
    void expectRedirect(const QString &path, const QByteArray &doneHtml);

    static constexpr int MaxConnections = 16;
    static constexpr int IdleTimeoutMs = 10'000;

Q_SIGNALS:
    void redirected(const QString &path, const QUrlQuery &query);

private:
    struct Connection;
    void onNewConnection();
    void onReadable(QTcpSocket *socket);
    void answer(QTcpSocket *socket, int status, const QByteArray &html);
    void drop(QTcpSocket *socket);

    QTcpServer *m_server = nullptr;
    QString m_state;
    QHash<QString, QByteArray> m_pages;
    QHash<QString, QByteArray> m_redirects;
    QHash<QTcpSocket *, Connection *> m_connections;
};

} // namespace hubsync::github
