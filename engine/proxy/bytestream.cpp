#include "proxy/bytestream.h"

#include "proxy/epolldispatcher.h"

#include <QAbstractSocket>
#include <QLocalSocket>
#include <QSocketNotifier>
#include <QTimer>

#if QT_CONFIG(ssl)
#include <QSslSocket>
#endif

#ifdef Q_OS_LINUX
#include <sys/epoll.h>
#endif
#ifdef Q_OS_UNIX
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#endif

namespace hubsync::proxy {

#ifdef Q_OS_UNIX

namespace {

#ifdef MSG_NOSIGNAL
constexpr int sendFlags = MSG_NOSIGNAL; // a peer that went away is an error, not a SIGPIPE
#else
constexpr int sendFlags = 0; // macOS: SO_NOSIGPIPE is set on the socket instead
#endif

} // namespace

StreamPoller *StreamPoller::create(QObject *parent) {
#ifdef Q_OS_LINUX
    // The thread's own loop waits on one epoll set already: each stream's notifier is as cheap there.
    if (EpollEventDispatcher::isCurrent())
        return nullptr;
    const int fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (fd >= 0)
        return new StreamPoller(fd, parent);
#else
    Q_UNUSED(parent)
#endif
    return nullptr;
}

StreamPoller::StreamPoller(int epollFd, QObject *parent)
    : QObject(parent)
    , m_epoll(epollFd) {
    m_notifier = new QSocketNotifier(epollFd, QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &StreamPoller::dispatch);
}

StreamPoller::~StreamPoller() {
    delete m_notifier;
    ::close(m_epoll);
}

bool StreamPoller::add(int fd, SocketStream *stream) {
#ifdef Q_OS_LINUX
    epoll_event event{};
    event.events = std::uint32_t(EPOLLIN); // level-triggered: a stream not read to the end is reported again
    event.data.fd = fd;
    if (::epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &event) != 0)
        return false;
    m_streams.insert(fd, stream);
    return true;
#else
    Q_UNUSED(fd)
    Q_UNUSED(stream)
    return false;
#endif
}

void StreamPoller::setReading(int fd, bool on) {
#ifdef Q_OS_LINUX
    // Paused streams leave the set: epoll reports a hang-up or an error even when no event is asked
    // for, and a paused stream that is never read would be reported at every turn of the loop.
    if (!m_streams.contains(fd))
        return;
    if (on) {
        epoll_event event{};
        event.events = std::uint32_t(EPOLLIN);
        event.data.fd = fd;
        ::epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &event);
    } else {
        ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
    }
#else
    Q_UNUSED(fd)
    Q_UNUSED(on)
#endif
}

void StreamPoller::remove(int fd) {
#ifdef Q_OS_LINUX
    if (m_streams.remove(fd))
        ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr); // ENOENT when paused: harmless
#else
    Q_UNUSED(fd)
#endif
}

void StreamPoller::dispatch() {
#ifdef Q_OS_LINUX
    epoll_event events[64];
    const int n = ::epoll_wait(m_epoll, events, 64, 0);
    for (int i = 0; i < n; ++i) {
        // Looked up now: an earlier stream's handler may have closed this one.
        if (SocketStream *stream = m_streams.value(events[i].data.fd))
            stream->onReadable();
    }
#endif
}

SocketStream::SocketStream(qintptr descriptor, StreamPoller *poller, QObject *parent)
    : ByteStream(parent)
    , m_fd(int(descriptor)) {
    ::fcntl(m_fd, F_SETFL, ::fcntl(m_fd, F_GETFL) | O_NONBLOCK);
    ::fcntl(m_fd, F_SETFD, FD_CLOEXEC);
    const int one = 1;
    // Small protocol messages must not wait for Nagle (fails harmlessly on a Unix socket).
    ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
#ifdef SO_NOSIGPIPE
    ::setsockopt(m_fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
#ifdef Q_OS_LINUX
    if (EpollEventDispatcher *dispatcher = EpollEventDispatcher::current()) {
        m_dispatcher = dispatcher;
        dispatcher->watchDescriptor(m_fd, this, true, false);
        return;
    }
#endif
    if (poller && poller->add(m_fd, this)) {
        m_poller = poller;
    } else {
        m_readNotifier = new QSocketNotifier(descriptor, QSocketNotifier::Read, this);
        connect(m_readNotifier, &QSocketNotifier::activated, this, &SocketStream::onReadable);
    }
    m_writeNotifier = new QSocketNotifier(descriptor, QSocketNotifier::Write, this);
    m_writeNotifier->setEnabled(false);
    connect(m_writeNotifier, &QSocketNotifier::activated, this, &SocketStream::sendPending);
}

#ifdef Q_OS_LINUX
void SocketStream::descriptorReady(bool readable, bool writable) {
    const QPointer<SocketStream> alive(this); // sendPending() reports to the owner, which may delete us
    if (writable)
        sendPending();
    if (readable && alive && m_fd >= 0)
        onReadable();
}
#endif

void SocketStream::watchReading(bool on) {
#ifdef Q_OS_LINUX
    if (m_dispatcher) {
        m_dispatcher->setDescriptorWants(m_fd, on, m_writing);
        return;
    }
#endif
    if (m_poller)
        m_poller->setReading(m_fd, on);
    else if (m_readNotifier)
        m_readNotifier->setEnabled(on);
}

void SocketStream::watchWriting(bool on) {
    m_writing = on;
#ifdef Q_OS_LINUX
    if (m_dispatcher) {
        m_dispatcher->setDescriptorWants(m_fd, m_reading, on);
        return;
    }
#endif
    if (m_writeNotifier)
        m_writeNotifier->setEnabled(on);
}

SocketStream::~SocketStream() {
    closeDescriptor();
}

void SocketStream::onReadable() {
    if (m_closing) {
        discardUntilEnd();
        return;
    }
    m_drained = false;
    notifyReadyRead();
}

// Closing: what the peer still sends is read and dropped until it closes its side too. Closing a socket
// with unread data makes the kernel reset the connection, and a reset can destroy what was sent last
// (a FATAL, say) before the peer has read it.
void SocketStream::discardUntilEnd() {
    char scratch[16 * 1024];
    for (;;) {
        const ssize_t got = ::recv(m_fd, scratch, sizeof scratch, 0);
        if (got > 0)
            continue;
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        end({}); // end of stream, or an error: either way nothing more to wait for
        return;
    }
}

QByteArray SocketStream::read(qint64 maxSize) {
    // A short read emptied the kernel's queue; if more came since, the (level-triggered) notifier says
    // so at the next turn of the event loop. Not asking again saves a recv() that would say EAGAIN.
    if (m_fd < 0 || m_drained || maxSize <= 0)
        return {};
    QByteArray bytes(maxSize, Qt::Uninitialized);
    for (;;) {
        const ssize_t got = ::recv(m_fd, bytes.data(), size_t(maxSize), 0);
        if (got > 0) {
            bytes.truncate(got);
            m_drained = got < maxSize;
            return bytes;
        }
        if (got == 0) {
            end({}); // orderly shutdown by the peer
            return {};
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            m_drained = true;
            return {};
        }
        end(QString::fromLocal8Bit(std::strerror(errno)));
        return {};
    }
}

void SocketStream::write(const QByteArray &bytes) {
    if (m_fd < 0 || bytes.isEmpty())
        return;
    if (bytesToWrite() > 0) { // keep the order: behind what is waiting
        m_pending += bytes;
        return;
    }
    qsizetype sent = 0;
    while (sent < bytes.size()) {
        const ssize_t n = ::send(m_fd, bytes.constData() + sent, size_t(bytes.size() - sent), sendFlags);
        if (n > 0) {
            sent += n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        end(QString::fromLocal8Bit(std::strerror(errno)));
        return;
    }
    if (sent == bytes.size())
        return;
    m_pending = bytes.mid(sent);
    m_pendingOffset = 0;
    watchWriting(true);
}

void SocketStream::sendPending() {
    while (m_fd >= 0 && bytesToWrite() > 0) {
        const ssize_t n = ::send(m_fd, m_pending.constData() + m_pendingOffset, size_t(bytesToWrite()), sendFlags);
        if (n > 0) {
            m_pendingOffset += n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            // A peer that reads about as fast as it is written to would otherwise keep what went out.
            if (m_pendingOffset >= 64 * 1024 && m_pendingOffset * 2 >= m_pending.size()) {
                m_pending.remove(0, m_pendingOffset);
                m_pendingOffset = 0;
            }
            return; // the notifier calls again
        }
        end(QString::fromLocal8Bit(std::strerror(errno)));
        return;
    }
    if (m_fd < 0)
        return;
    m_pending.clear();
    m_pendingOffset = 0;
    watchWriting(false);
    if (m_closing) {
        finishClosing();
        return;
    }
    Q_EMIT bytesWritten();
}

void SocketStream::setReading(bool on) {
    if (m_fd < 0 || m_reading == on || (on && m_closing))
        return;
    m_reading = on;
    watchReading(on);
}

void SocketStream::closeGracefully() {
    if (m_fd < 0 || m_closing)
        return;
    m_closing = true; // from now on onReadable() discards instead of reporting
    if (bytesToWrite() > 0)
        return; // sendPending() goes on once the rest is out
    finishClosing();
}

// Everything is sent: say so to the peer, then wait for its end of stream (the owner's grace period
// bounds the wait; abort() ends it).
void SocketStream::finishClosing() {
    ::shutdown(m_fd, SHUT_WR);
    if (!m_reading) { // paused: watch again, to see the end
        m_reading = true;
        watchReading(true);
    }
    discardUntilEnd();
}

void SocketStream::abort() {
    m_ended = true; // no closed() for an abort
    closeDescriptor();
}

void SocketStream::end(const QString &error) {
    if (m_ended)
        return;
    m_ended = true;
    setReading(false);
    watchWriting(false);
    // From the event loop: the caller may be inside a read() or write() of its own pump.
    QTimer::singleShot(0, this, [this, error] {
        closeDescriptor();
        Q_EMIT closed(error);
    });
}

void SocketStream::closeDescriptor() {
    if (m_fd < 0)
        return;
#ifdef Q_OS_LINUX
    if (m_dispatcher)
        m_dispatcher->unwatchDescriptor(m_fd);
#endif
    if (m_poller)
        m_poller->remove(m_fd);
    delete m_readNotifier; // before the descriptor goes: a notifier must not outlive its socket
    delete m_writeNotifier;
    m_readNotifier = m_writeNotifier = nullptr;
    ::close(m_fd);
    m_fd = -1;
}

#endif // Q_OS_UNIX

template <typename Socket, typename SocketError>
void DeviceStream::watch(Socket *socket, SocketError peerClosed) {
    socket->setParent(this);
    connect(socket, &QIODevice::readyRead, this, [this] { notifyReadyRead(); });
    connect(socket, &QIODevice::bytesWritten, this, &ByteStream::bytesWritten);
    connect(socket, &Socket::disconnected, this, [this] { end({}); });
    connect(socket, &Socket::errorOccurred, this, [this, socket, peerClosed](SocketError error) {
        if (error == peerClosed)
            return; // disconnected() follows
        end(socket->errorString());
    });
}

DeviceStream::DeviceStream(QAbstractSocket *socket, QObject *parent)
    : ByteStream(parent)
    , m_socket(socket) {
    watch(m_socket, QAbstractSocket::RemoteHostClosedError);
}

DeviceStream::DeviceStream(QLocalSocket *socket, QObject *parent)
    : ByteStream(parent)
    , m_local(socket) {
    watch(m_local, QLocalSocket::PeerClosedError);
}

DeviceStream::~DeviceStream() {
    m_ended = true;
    if (m_socket)
        m_socket->abort();
    if (m_local)
        m_local->abort();
}

QByteArray DeviceStream::read(qint64 maxSize) {
    QIODevice *device = m_socket ? static_cast<QIODevice *>(m_socket) : m_local;
    return device->isOpen() ? device->read(maxSize) : QByteArray();
}

void DeviceStream::write(const QByteArray &bytes) {
    // To the kernel now rather than at the next turn of the event loop: one wake-up less per message.
    if (m_socket) {
        m_socket->write(bytes);
        m_socket->flush();
    } else {
        m_local->write(bytes);
        m_local->flush();
    }
}

qint64 DeviceStream::bytesToWrite() const {
    return m_socket ? m_socket->bytesToWrite() : m_local->bytesToWrite();
}

void DeviceStream::closeGracefully() {
    if (m_socket) {
        m_socket->disconnectFromHost(); // flushes what is still buffered, then closes
        if (m_socket->state() == QAbstractSocket::UnconnectedState)
            end({});
    } else {
        m_local->disconnectFromServer();
        if (m_local->state() == QLocalSocket::UnconnectedState)
            end({});
    }
}

void DeviceStream::abort() {
    m_ended = true;
    if (m_socket)
        m_socket->abort();
    if (m_local)
        m_local->abort();
}

bool DeviceStream::isOpen() const {
    return m_socket ? m_socket->state() == QAbstractSocket::ConnectedState
                    : m_local->state() == QLocalSocket::ConnectedState;
}

QSslSocket *DeviceStream::tlsSocket() {
#if QT_CONFIG(ssl)
    return qobject_cast<QSslSocket *>(m_socket);
#else
    return nullptr;
#endif
}

void DeviceStream::end(const QString &error) {
    if (m_ended)
        return;
    m_ended = true;
    QTimer::singleShot(0, this, [this, error] { Q_EMIT closed(error); });
}

namespace {

#ifdef Q_OS_UNIX
// The socket's descriptor, kept open (dup) while the Qt socket that had it is thrown away; -1 when the
// socket cannot be taken over (TLS, or bytes already buffered by Qt).
int takeDescriptor(QIODevice *device, qintptr descriptor) {
    if (descriptor < 0 || device->bytesAvailable() > 0 || device->bytesToWrite() > 0)
        return -1;
    const int fd = ::dup(int(descriptor));
    if (fd < 0)
        return -1;
    device->disconnect();
    return fd;
}
#endif

} // namespace

ByteStream *streamFor(QAbstractSocket *socket, StreamPoller *poller, QObject *parent) {
#ifdef Q_OS_UNIX
#if QT_CONFIG(ssl)
    const bool tls = qobject_cast<QSslSocket *>(socket) != nullptr;
#else
    const bool tls = false;
#endif
    if (const int fd = tls ? -1 : takeDescriptor(socket, socket->socketDescriptor()); fd >= 0) {
        socket->abort(); // closes Qt's descriptor only: the connection lives on in `fd`
        delete socket;
        return new SocketStream(fd, poller, parent);
    }
#endif
    Q_UNUSED(poller)
    return new DeviceStream(socket, parent);
}

ByteStream *streamFor(QLocalSocket *socket, StreamPoller *poller, QObject *parent) {
#ifdef Q_OS_UNIX
    if (const int fd = takeDescriptor(socket, socket->socketDescriptor()); fd >= 0) {
        socket->abort();
        delete socket;
        return new SocketStream(fd, poller, parent);
    }
#endif
    Q_UNUSED(poller)
    return new DeviceStream(socket, parent);
}

} // namespace hubsync::proxy
