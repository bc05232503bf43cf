#include "proxy/epolldispatcher.h"

namespace hubsync::proxy {

QAbstractEventDispatcher *createProxyEventDispatcher() {
#ifdef Q_OS_LINUX
    if (qgetenv("HUBSYNC_PROXY_EVENT_LOOP") == "qt")
        return nullptr;
    auto *dispatcher = new EpollEventDispatcher;
    if (dispatcher->isValid())
        return dispatcher;
    delete dispatcher;
#endif
    return nullptr;
}

} // namespace hubsync::proxy

#ifdef Q_OS_LINUX

#include <QCoreApplication>
#include <QSocketNotifier>
#include <QTimerEvent>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>

namespace hubsync::proxy {

namespace {

constexpr int maxEvents = 256;

// What wakes a read notifier: data, the peer's end of stream, an error (the notifier's owner then reads
// and learns which), as poll() reports them to Qt's dispatchers.
constexpr quint32 readEvents = EPOLLIN | EPOLLHUP | EPOLLERR;
constexpr quint32 writeEvents = EPOLLOUT | EPOLLHUP | EPOLLERR;

void activate(QSocketNotifier *notifier) {
    QEvent event(QEvent::SockAct);
    QCoreApplication::sendEvent(notifier, &event);
}

} // namespace

quint32 EpollEventDispatcher::Notifiers::events() const {
    return (read || handlerReads ? quint32(EPOLLIN) : 0u) | (write || handlerWrites ? quint32(EPOLLOUT) : 0u) |
           (exception ? quint32(EPOLLPRI) : 0u);
}

EpollEventDispatcher::EpollEventDispatcher(QObject *parent)
    : QAbstractEventDispatcher(parent)
    , m_epoll(::epoll_create1(EPOLL_CLOEXEC))
    , m_wakeFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (m_epoll >= 0 && m_wakeFd >= 0) {
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.fd = m_wakeFd;
        if (::epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_wakeFd, &event) != 0) {
            ::close(m_wakeFd);
            m_wakeFd = -1;
        }
    }
}

EpollEventDispatcher::~EpollEventDispatcher() {
    if (m_wakeFd >= 0)
        ::close(m_wakeFd);
    if (m_epoll >= 0)
        ::close(m_epoll);
}

bool EpollEventDispatcher::isCurrent() {
    return current() != nullptr;
}

EpollEventDispatcher *EpollEventDispatcher::current() {
    return qobject_cast<EpollEventDispatcher *>(QAbstractEventDispatcher::instance());
}

void EpollEventDispatcher::watchDescriptor(int fd, DescriptorHandler *handler, bool read, bool write) {
    Notifiers &entry = m_notifiers[fd];
    const quint32 before = entry.events();
    entry.handler = handler;
    entry.handlerReads = read;
    entry.handlerWrites = write;
    updateEpoll(fd, before, entry);
}

void EpollEventDispatcher::setDescriptorWants(int fd, bool read, bool write) {
    const auto it = m_notifiers.find(fd);
    if (it == m_notifiers.end() || !it->handler)
        return;
    const quint32 before = it->events();
    it->handlerReads = read;
    it->handlerWrites = write;
    updateEpoll(fd, before, *it);
}

void EpollEventDispatcher::unwatchDescriptor(int fd) {
    const auto it = m_notifiers.find(fd);
    if (it == m_notifiers.end() || !it->handler)
        return;
    const quint32 before = it->events();
    it->handler = nullptr;
    it->handlerReads = it->handlerWrites = false;
    const Notifiers now = *it;
    if (now.events() == 0)
        m_notifiers.erase(it);
    updateEpoll(fd, before, now);
}

bool EpollEventDispatcher::processEvents(QEventLoop::ProcessEventsFlags flags) {
    m_interrupted.store(false, std::memory_order_relaxed);
    Q_EMIT awake();
    QCoreApplication::sendPostedEvents();
    const bool canWait =
        flags.testFlag(QEventLoop::WaitForMoreEvents) && !m_interrupted.load(std::memory_order_relaxed);
    if (canWait)
        Q_EMIT aboutToBlock();
    epoll_event events[maxEvents];
    int ready = ::epoll_wait(m_epoll, events, maxEvents, canWait ? waitMs() : 0);
    if (ready < 0)
        ready = 0; // EINTR: a signal; the caller turns the loop again
    if (canWait)
        Q_EMIT awake();
    int activated = 0;
    for (int i = 0; i < ready; ++i) {
        const int fd = events[i].data.fd;
        if (fd == m_wakeFd) {
            quint64 count = 0;
            while (::read(m_wakeFd, &count, sizeof count) > 0) {
            }
            QCoreApplication::sendPostedEvents(); // what the wake-up was for
            ++activated;
        } else if (!flags.testFlag(QEventLoop::ExcludeSocketNotifiers)) {
            activated += activateSockets(fd, events[i].events);
        }
        if (m_interrupted.load(std::memory_order_relaxed))
            return activated > 0;
    }
    if (!flags.testFlag(QEventLoop::X11ExcludeTimers))
        activated += activateTimers();
    return activated > 0;
}

// The notifiers are looked up again before each activation: the previous one may have deleted or
// disabled the next.
int EpollEventDispatcher::activateSockets(int fd, quint32 events) {
    int activated = 0;
    const auto current = [this, fd]() { return m_notifiers.value(fd); };
    if (const Notifiers entry = current(); entry.handler) {
        const bool readable = entry.handlerReads && (events & readEvents);
        const bool writable = entry.handlerWrites && (events & writeEvents);
        if (!readable && !writable)
            return 0;
        entry.handler->descriptorReady(readable, writable);
        return 1;
    }
    if (events & readEvents) {
        if (QSocketNotifier *notifier = current().read) {
            activate(notifier);
            ++activated;
        }
    }
    if (events & writeEvents) {
        if (QSocketNotifier *notifier = current().write) {
            activate(notifier);
            ++activated;
        }
    }
    if (events & EPOLLPRI) {
        if (QSocketNotifier *notifier = current().exception) {
            activate(notifier);
            ++activated;
        }
    }
    return activated;
}

void EpollEventDispatcher::registerSocketNotifier(QSocketNotifier *notifier) {
    const int fd = int(notifier->socket());
    Notifiers &entry = m_notifiers[fd];
    const quint32 before = entry.events();
    switch (notifier->type()) {
    case QSocketNotifier::Read:
        entry.read = notifier;
        break;
    case QSocketNotifier::Write:
        entry.write = notifier;
        break;
    case QSocketNotifier::Exception:
        entry.exception = notifier;
        break;
    }
    updateEpoll(fd, before, entry);
}

void EpollEventDispatcher::unregisterSocketNotifier(QSocketNotifier *notifier) {
    const int fd = int(notifier->socket());
    const auto it = m_notifiers.find(fd);
    if (it == m_notifiers.end())
        return;
    const quint32 before = it->events();
    if (it->read == notifier)
        it->read = nullptr;
    if (it->write == notifier)
        it->write = nullptr;
    if (it->exception == notifier)
        it->exception = nullptr;
    const Notifiers now = *it;
    if (now.events() == 0)
        m_notifiers.erase(it);
    updateEpoll(fd, before, now);
}

void EpollEventDispatcher::updateEpoll(int fd, quint32 before, const Notifiers &now) {
    const quint32 after = now.events();
    if (before == after)
        return;
    epoll_event event{};
    event.events = after;
    event.data.fd = fd;
    const int op = before == 0 ? EPOLL_CTL_ADD : after == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
    // Fails only for a descriptor closed before its notifier went (the kernel dropped it already).
    ::epoll_ctl(m_epoll, op, fd, &event);
}

void EpollEventDispatcher::registerTimer(int timerId, qint64 interval, Qt::TimerType timerType, QObject *object) {
    m_timers.append(Timer{timerId, interval, timerType, object, Clock::now() + std::chrono::milliseconds(interval)});
}

bool EpollEventDispatcher::unregisterTimer(int timerId) {
    return m_timers.removeIf([timerId](const Timer &t) { return t.id == timerId; }) > 0;
}

bool EpollEventDispatcher::unregisterTimers(QObject *object) {
    return m_timers.removeIf([object](const Timer &t) { return t.object == object; }) > 0;
}

QList<QAbstractEventDispatcher::TimerInfo> EpollEventDispatcher::registeredTimers(QObject *object) const {
    QList<TimerInfo> list;
    for (const Timer &t : m_timers)
        if (t.object == object)
            list.append(TimerInfo(t.id, int(t.interval), t.type));
    return list;
}

int EpollEventDispatcher::remainingTime(int timerId) {
    for (const Timer &t : std::as_const(m_timers)) {
        if (t.id == timerId) {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(t.deadline - Clock::now()).count();
            return int(qMax<qint64>(0, left));
        }
    }
    return -1;
}

int EpollEventDispatcher::waitMs() const {
    if (m_timers.isEmpty())
        return -1;
    Clock::time_point nearest = m_timers.first().deadline;
    for (const Timer &t : m_timers)
        nearest = std::min(nearest, t.deadline);
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(nearest - Clock::now()).count();
    return int(std::clamp<qint64>(left, 0, std::numeric_limits<int>::max()));
}

// Each expired timer fires once per turn; its next deadline counts from now, as Qt's coarse timers do.
// A handler may start, stop or delete timers, so each is looked up again by id before it fires.
int EpollEventDispatcher::activateTimers() {
    const Clock::time_point now = Clock::now();
    QList<int> due;
    for (const Timer &t : std::as_const(m_timers))
        if (t.deadline <= now)
            due.append(t.id);
    int fired = 0;
    for (const int id : std::as_const(due)) {
        QObject *object = nullptr;
        for (Timer &t : m_timers) {
            if (t.id == id) {
                t.deadline = now + std::chrono::milliseconds(t.interval);
                object = t.object;
                break;
            }
        }
        if (!object)
            continue;
        QTimerEvent event(id);
        QCoreApplication::sendEvent(object, &event);
        ++fired;
    }
    return fired;
}

void EpollEventDispatcher::wakeUp() {
    const quint64 one = 1;
    [[maybe_unused]] const ssize_t written = ::write(m_wakeFd, &one, sizeof one);
}

void EpollEventDispatcher::interrupt() {
    m_interrupted.store(true, std::memory_order_relaxed);
    wakeUp();
}

} // namespace hubsync::proxy

#endif // Q_OS_LINUX
