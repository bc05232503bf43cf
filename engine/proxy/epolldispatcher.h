#pragma once

// The proxy thread's event loop on Linux: one epoll set in which every socket notifier stays registered.
//
// Qt's own dispatchers (glib's, or QEventDispatcherUNIX) poll() the whole notifier list at every turn of
// the loop. The proxy's sessions used to share one epoll set behind a single notifier (StreamPoller), so a
// wake-up cost two system calls before any byte moved: poll() on that set's descriptor, then epoll_wait()
// on it. With this dispatcher a wake-up is one epoll_wait(), and a transaction relayed in both directions
// costs what pgbouncer's libevent loop costs: epoll_wait, recv and send per direction.
//
// Everything else of the thread works as with Qt's dispatcher: timers (each kept with its deadline, the
// nearest one bounds the wait), posted events, wake-ups from other threads (an eventfd in the set), and
// QSocketNotifier of any kind (QTcpServer, QNetworkAccessManager's sockets, QLocalSocket).

#include <QtGlobal>

class QAbstractEventDispatcher;

namespace hubsync::proxy {

// The dispatcher for a thread that runs the proxy (install it before the thread starts, or before the
// QCoreApplication of a program that is only a proxy): an EpollEventDispatcher on Linux; nullptr, i.e.
// Qt's own, elsewhere, when epoll fails, or with HUBSYNC_PROXY_EVENT_LOOP=qt in the environment (a
// diagnostic switch, and the baseline of tests/bench/bench_proxy.sh).
QAbstractEventDispatcher *createProxyEventDispatcher();

} // namespace hubsync::proxy

#ifdef Q_OS_LINUX

#include <QAbstractEventDispatcher>
#include <QHash>
#include <QList>

#include <atomic>
#include <chrono>

namespace hubsync::proxy {

// Readiness of a descriptor delivered straight to its owner (EpollEventDispatcher::watchDescriptor): no
// QSocketNotifier, no event object, no signal, about a thousand instructions less per wake-up. The
// proxy's sockets use it (SocketStream).
class DescriptorHandler {
public:
    // `readable`: data, the peer's end of stream or an error (a read says which); `writable`: room to
    // write, or an error (a write says which). Only what the handler asked for is reported.
    virtual void descriptorReady(bool readable, bool writable) = 0;

protected:
    DescriptorHandler() = default;
    ~DescriptorHandler() = default;
    Q_DISABLE_COPY_MOVE(DescriptorHandler)
};

class EpollEventDispatcher final : public QAbstractEventDispatcher {
    Q_OBJECT
public:
    // A dispatcher whose set could not be created reports it through isValid(); do not install it then.
    explicit EpollEventDispatcher(QObject *parent = nullptr);
    ~EpollEventDispatcher() override;
    Q_DISABLE_COPY_MOVE(EpollEventDispatcher)

    [[nodiscard]] bool isValid() const { return m_epoll >= 0 && m_wakeFd >= 0; }
    // True when the calling thread's event loop runs on an EpollEventDispatcher.
    static bool isCurrent();
    // The calling thread's dispatcher if it is an EpollEventDispatcher, else nullptr.
    static EpollEventDispatcher *current();

    // Reports the readiness of `fd` (which has no socket notifiers) to `handler` until unwatchDescriptor();
    // `read` and `write` choose what it hears of, and can be changed with setDescriptorWants().
    void watchDescriptor(int fd, DescriptorHandler *handler, bool read, bool write);
    void setDescriptorWants(int fd, bool read, bool write);
    void unwatchDescriptor(int fd);

    bool processEvents(QEventLoop::ProcessEventsFlags flags) override;
    void registerSocketNotifier(QSocketNotifier *notifier) override;
    void unregisterSocketNotifier(QSocketNotifier *notifier) override;
    void registerTimer(int timerId, qint64 interval, Qt::TimerType timerType, QObject *object) override;
    bool unregisterTimer(int timerId) override;
    bool unregisterTimers(QObject *object) override;
    [[nodiscard]] QList<TimerInfo> registeredTimers(QObject *object) const override;
    int remainingTime(int timerId) override;
    void wakeUp() override;
    void interrupt() override;

private:
    using Clock = std::chrono::steady_clock;
    struct Timer {
        int id = 0;
        qint64 interval = 0;
        Qt::TimerType type = Qt::CoarseTimer;
        QObject *object = nullptr;
        Clock::time_point deadline;
    };
    // The notifiers of one descriptor (at most one per type, as Qt allows), or its handler.
    struct Notifiers {
        QSocketNotifier *read = nullptr;
        QSocketNotifier *write = nullptr;
        QSocketNotifier *exception = nullptr;
        DescriptorHandler *handler = nullptr;
        bool handlerReads = false;
        bool handlerWrites = false;
        [[nodiscard]] quint32 events() const;
    };

    void updateEpoll(int fd, quint32 before, const Notifiers &now);
    [[nodiscard]] int waitMs() const;
    int activateSockets(int fd, quint32 events);
    int activateTimers();

    int m_epoll = -1;
    int m_wakeFd = -1;
    std::atomic<bool> m_interrupted{false};
    QHash<int, Notifiers> m_notifiers;
    QList<Timer> m_timers;
};

} // namespace hubsync::proxy

#endif // Q_OS_LINUX
