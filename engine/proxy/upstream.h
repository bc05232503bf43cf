#pragma once

// The PostgreSQL server behind the proxy, reached the way libpq would: TCP to host:port, or, when `host`
// is an absolute directory, the Unix socket <host>/.s.PGSQL.<port>.

#include <QObject>
#include <QString>

#include <functional>

class QIODevice;
class QLocalSocket;
class QTcpSocket;
class QTimer;

namespace hubsync::proxy {

class ByteStream;
class StreamPoller;

struct UpstreamTarget final {
    QString host = QStringLiteral("127.0.0.1"); // a host name, an IP address, or a Unix socket directory
    quint16 port = 5432;

    [[nodiscard]] bool isUnixSocket() const { return host.startsWith(QLatin1Char('/')); }
    [[nodiscard]] QString socketPath() const;
    [[nodiscard]] QString describe() const; // for log lines and error messages
};

// One byte stream to the server over either transport. Qt connects it (host lookup, timeout); once
// connected it is a ByteStream (a SocketStream where the platform has one). Signals mirror
// QIODevice/QAbstractSocket; a failure to connect (including the connect timeout) and a later error both
// end in failed(), after which the connection is dead.
class UpstreamConnection final : public QObject {
    Q_OBJECT
public:
    // Once connected, the stream's readiness comes from `poller` when there is one.
    explicit UpstreamConnection(UpstreamTarget target, QObject *parent = nullptr, StreamPoller *poller = nullptr);
    ~UpstreamConnection() override;
    Q_DISABLE_COPY_MOVE(UpstreamConnection)

    // readBufferSize bounds what a Qt socket reads ahead (where no SocketStream takes over).
    void open(int connectTimeoutMs, qint64 readBufferSize);
    [[nodiscard]] bool isConnected() const { return m_connected; }
    [[nodiscard]] const UpstreamTarget &target() const { return m_target; }

    qint64 write(const QByteArray &bytes);
    QByteArray read(qint64 maxSize);
    [[nodiscard]] qint64 bytesToWrite() const;
    // Back-pressure: while off, the server's bytes wait in the kernel (see ByteStream::setReading).
    void setReading(bool on);
    // Graceful: pending writes are flushed first.
    void close();
    // Writes `lastBytes` (a Terminate, say) if connected, closes gracefully and deletes the connection once
    // it is closed, or after `graceMs` at the latest. Disconnect from its signals first.
    void closeAndDelete(const QByteArray &lastBytes, int graceMs);
    // Called instead of emitting readyRead() (see ByteStream::setReadyReadHandler); set before open(), and
    // replaced when the connection changes hands (ServerPool).
    void setReadyReadHandler(std::function<void()> handler);

Q_SIGNALS:
    void connected();
    void readyRead();
    void bytesWritten();
    void disconnected();
    void failed(const QString &message);

private:
    std::function<void()> m_readyReadHandler;
    void fail(const QString &message);
    void onConnected();
    void takeOver();

    UpstreamTarget m_target;
    QTcpSocket *m_tcp = nullptr;     // while connecting
    QLocalSocket *m_local = nullptr; // while connecting
    ByteStream *m_stream = nullptr;  // once connected
    StreamPoller *m_poller = nullptr;
    QTimer *m_connectTimer = nullptr;
    bool m_connected = false;
    bool m_done = false;
};

} // namespace hubsync::proxy
