#pragma once

// The byte streams a proxy session relays between: its client and its connection to PostgreSQL.
//
// Two kinds. SocketStream owns a connected native socket and calls recv()/send() on it directly: one
// system call per read and per write, no copy into a Qt buffer, no FIONREAD, and no socket notifier
// switched on and off per write (with the glib event loop every switch also wakes the loop through its
// eventfd). That is the pass-through hot path; it exists where sockets are POSIX (Linux, macOS).
// DeviceStream wraps a QIODevice socket (QTcpSocket, QLocalSocket, QSslSocket): TLS toward clients, and
// every platform without SocketStream.
//
// On the proxy thread's EpollEventDispatcher (Linux) a SocketStream's readiness comes straight from the
// dispatcher's epoll set (DescriptorHandler: no notifier, no event, no signal). On Qt's own event loop the
// SocketStreams of a server share one StreamPoller instead: their descriptors sit in one epoll set, and
// the event loop polls only that set's descriptor. Qt's event loops poll() every socket notifier at every
// turn, so with n sessions each wake-up would cost the kernel 2n socket polls; with the set it costs one.

#include "proxy/epolldispatcher.h"

#include <QByteArray>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QString>

#include <functional>

class QAbstractSocket;
class QLocalSocket;
class QSocketNotifier;
class QSslSocket;

namespace hubsync::proxy {

class ByteStream : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;

    // Up to `maxSize` bytes that have arrived; empty when there are none now (or the stream is closed).
    virtual QByteArray read(qint64 maxSize) = 0;
    // Hands the bytes to the kernel at once; what it does not take now is kept and sent as it can.
    virtual void write(const QByteArray &bytes) = 0;
    // Bytes accepted by write() and not yet handed to the kernel.
    [[nodiscard]] virtual qint64 bytesToWrite() const = 0;
    // Back-pressure: while off, arriving data waits in the kernel and readyRead() is not emitted.
    virtual void setReading(bool on) = 0;
    // Sends what is still buffered, then closes; closed() follows.
    virtual void closeGracefully() = 0;
    // Closes at once, dropping what is buffered; no signal follows.
    virtual void abort() = 0;
    [[nodiscard]] virtual bool isOpen() const = 0;
    // The TLS socket beneath, when this stream can be encrypted (DeviceStream over a QSslSocket).
    virtual QSslSocket *tlsSocket() { return nullptr; }
    // Called instead of emitting readyRead(): the relay's hot path, where a signal's dispatch cost about
    // a tenth of the proxy's instructions per transaction.
    void setReadyReadHandler(std::function<void()> handler) { m_readyReadHandler = std::move(handler); }

Q_SIGNALS:
    void readyRead();
    // Buffered bytes went out (only after a write() the kernel could not take whole).
    void bytesWritten();
    // The peer closed the connection, an error ended it (`error` says which), or closeGracefully()
    // finished. Emitted once, from the event loop, never from inside read() or write().
    void closed(const QString &error);

protected:
    void notifyReadyRead() {
        if (m_readyReadHandler)
            m_readyReadHandler();
        else
            Q_EMIT readyRead();
    }

private:
    std::function<void()> m_readyReadHandler;
};

#ifdef Q_OS_UNIX
class SocketStream;

// Readiness of many sockets through one epoll descriptor (Linux; elsewhere every SocketStream has a
// socket notifier of its own and poller() is nullptr). Lives on the thread of its streams.
class StreamPoller final : public QObject {
    Q_OBJECT
public:
    // nullptr where there is no epoll.
    static StreamPoller *create(QObject *parent);
    ~StreamPoller() override;
    Q_DISABLE_COPY_MOVE(StreamPoller)

    bool add(int fd, SocketStream *stream);
    void setReading(int fd, bool on);
    void remove(int fd);

private:
    StreamPoller(int epollFd, QObject *parent);
    void dispatch();

    int m_epoll = -1;
    QSocketNotifier *m_notifier = nullptr;
    QHash<int, SocketStream *> m_streams; // looked up at dispatch: a stream closed meanwhile is skipped
};

class SocketStream final : public ByteStream
#ifdef Q_OS_LINUX
    ,
                           private DescriptorHandler
#endif
{
    Q_OBJECT
public:
    // Takes ownership of `descriptor`, a connected stream socket; it is made non-blocking. Readiness comes
    // straight from the thread's EpollEventDispatcher where it runs on one, else from `poller` if given,
    // else from socket notifiers of the stream's own.
    explicit SocketStream(qintptr descriptor, StreamPoller *poller = nullptr, QObject *parent = nullptr);
    ~SocketStream() override;
    Q_DISABLE_COPY_MOVE(SocketStream)

    QByteArray read(qint64 maxSize) override;
    void write(const QByteArray &bytes) override;
    [[nodiscard]] qint64 bytesToWrite() const override {
        return m_pending.size() - m_pendingOffset;
    }
    void setReading(bool on) override;
    void closeGracefully() override;
    void abort() override;
    [[nodiscard]] bool isOpen() const override {
        return m_fd >= 0;
    }

private:
    friend class StreamPoller;
#ifdef Q_OS_LINUX
    void descriptorReady(bool readable, bool writable) override;
    EpollEventDispatcher *m_dispatcher = nullptr;
#endif
    // What readiness to be told of, through whichever source the stream has.
    void watchReading(bool on);
    void watchWriting(bool on);
    bool m_writing = false; // waiting for room to send m_pending
    void onReadable();
    void discardUntilEnd();
    void finishClosing();
    void sendPending();
    void end(const QString &error);
    void closeDescriptor();

    int m_fd = -1;
    QPointer<StreamPoller> m_poller;
    bool m_reading = true;
    QSocketNotifier *m_readNotifier = nullptr; // without a poller
    QSocketNotifier *m_writeNotifier = nullptr;
    QByteArray m_pending;
    qsizetype m_pendingOffset = 0;
    bool m_drained = false; // the last recv() returned less than asked: the kernel had no more then
    bool m_closing = false; // closeGracefully(): reads are discarded until the peer's end of stream
    bool m_ended = false;
};
#endif

class DeviceStream final : public ByteStream {
    Q_OBJECT
public:
    // Takes ownership of a connected socket.
    explicit DeviceStream(QAbstractSocket *socket, QObject *parent = nullptr);
    explicit DeviceStream(QLocalSocket *socket, QObject *parent = nullptr);
    ~DeviceStream() override;
    Q_DISABLE_COPY_MOVE(DeviceStream)

    QByteArray read(qint64 maxSize) override;
    void write(const QByteArray &bytes) override;
    [[nodiscard]] qint64 bytesToWrite() const override;
    void setReading(bool) override {} // the socket's bounded read buffer pauses the kernel reads
    void closeGracefully() override;
    void abort() override;
    [[nodiscard]] bool isOpen() const override;
    QSslSocket *tlsSocket() override;

private:
    // Adopts either kind of socket and relays its signals; `peerClosed` is the error that only announces
    // the disconnected() that follows.
    template <typename Socket, typename SocketError>
    void watch(Socket *socket, SocketError peerClosed);
    void end(const QString &error);

    QAbstractSocket *m_socket = nullptr;
    QLocalSocket *m_local = nullptr;
    bool m_ended = false;
};

#ifndef Q_OS_UNIX
class StreamPoller; // never created
#endif

// The stream for an accepted or connected socket: a SocketStream where there is one, else a DeviceStream.
// Takes ownership of `socket`, which must be connected. `poller` may be nullptr.
ByteStream *streamFor(QAbstractSocket *socket, StreamPoller *poller, QObject *parent);
ByteStream *streamFor(QLocalSocket *socket, StreamPoller *poller, QObject *parent);

} // namespace hubsync::proxy
