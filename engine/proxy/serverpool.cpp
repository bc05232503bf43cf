#include "proxy/serverpool.h"

#include "core/log.h"
#include "proxy/protocol/errorfields.h"
#include "proxy/protocol/messages_frontend.h"
#include "proxy/upstream.h"

#include <QTimer>

#include <algorithm>

namespace hubsync::proxy {

namespace {

const QString category = QStringLiteral("proxy");
// A server that has not answered DISCARD ALL by then is not worth waiting for.
constexpr qint64 resetTimeoutMs = 10000;
// The answers to DISCARD ALL are a handful of small messages; anything bigger is not what we asked for.
constexpr qint32 maxAnswerLength = 64 * 1024;
constexpr int closeGraceMs = 5000;

QByteArray discardAll() {
    return protocol::Query{QByteArrayLiteral("DISCARD ALL")}.encode();
}

} // namespace

void PooledServer::setParameter(const QByteArray &name, const QByteArray &value) {
    for (QPair<QByteArray, QByteArray> &parameter : parameters) {
        if (parameter.first == name) {
            parameter.second = value;
            return;
        }
    }
    parameters.append({name, value});
}

struct ServerPool::Entry {
    PooledServer server;
    protocol::MessageReader reader{protocol::MessageReader::Mode::Typed,
                                   protocol::FrameLimits{maxAnswerLength, protocol::postgresMaxStartupLength}};
    bool resetting = true;
    bool resetFailed = false;
    QElapsedTimer since; // parked (while resetting), then idle
};

ServerPool::ServerPool(int maxIdle, int idleTimeoutMs, QObject *parent)
    : QObject(parent)
    , m_maxIdle(qMax(0, maxIdle))
    , m_idleTimeoutMs(qMax(0, idleTimeoutMs)) {
    m_sweep = new QTimer(this);
    m_sweep->setInterval(std::clamp(m_idleTimeoutMs / 4, 100, 5000));
    connect(m_sweep, &QTimer::timeout, this, &ServerPool::sweep);
}

ServerPool::~ServerPool() {
    for (Entry *entry : std::as_const(m_entries)) {
        entry->server.connection->disconnect(this);
        entry->server.connection->setReadyReadHandler({});
        delete entry->server.connection;
        delete entry;
    }
}

void ServerPool::park(PooledServer server) {
    UpstreamConnection *connection = server.connection;
    if (!connection)
        return;
    auto *entry = new Entry;
    entry->server = std::move(server);
    entry->since.start();
    m_entries.append(entry);
    connection->setParent(this);
    connection->setReadyReadHandler([this, entry] { onReadable(entry); });
    connect(connection, &UpstreamConnection::disconnected, this, [this, entry] { drop(entry, false); });
    connect(connection, &UpstreamConnection::failed, this, [this, entry] { drop(entry, false); });
    if (!isEnabled() || !connection->isConnected()) {
        drop(entry, true);
        return;
    }
    // Full: the oldest connection makes room (the newest are the ones most likely to be asked for).
    while (m_entries.size() > m_maxIdle)
        drop(m_entries.first(), true);
    connection->write(discardAll());
    if (!m_sweep->isActive())
        m_sweep->start();
}

std::optional<PooledServer> ServerPool::take(const QByteArray &startupPacket) {
    for (qsizetype i = m_entries.size() - 1; i >= 0; --i) {
        Entry *entry = m_entries.at(i);
        if (entry->resetting || entry->server.startupPacket != startupPacket ||
            !entry->server.connection->isConnected())
            continue;
        m_entries.removeAt(i);
        UpstreamConnection *connection = entry->server.connection;
        connection->disconnect(this);
        connection->setReadyReadHandler({});
        connection->setParent(nullptr);
        PooledServer server = std::move(entry->server);
        delete entry;
        ++m_reused;
        if (m_entries.isEmpty())
            m_sweep->stop();
        return server;
    }
    return std::nullopt;
}

void ServerPool::clear() {
    while (!m_entries.isEmpty())
        drop(m_entries.first(), true);
}

void ServerPool::onReadable(Entry *entry) {
    UpstreamConnection *connection = entry->server.connection;
    for (;;) {
        const QByteArray chunk = connection->read(64 * 1024);
        if (chunk.isEmpty())
            return;
        entry->reader.feed(chunk);
        protocol::Frame frame;
        for (;;) {
            const protocol::MessageReader::Status status = entry->reader.next(frame);
            if (status == protocol::MessageReader::Status::NeedMore)
                break;
            if (status == protocol::MessageReader::Status::Error) {
                logDebug(category, QStringLiteral("pooled server connection: %1").arg(entry->reader.error()));
                drop(entry, false);
                return;
            }
            switch (frame.type) {
            case protocol::ParameterStatus::type:
                if (const auto parameter = protocol::ParameterStatus::decode(frame.payload))
                    entry->server.setParameter(parameter->name, parameter->value);
                break;
            case protocol::CommandComplete::type:
            case protocol::NotificationResponse::type: // sent before DISCARD ALL's UNLISTEN ran
            case protocol::NoticeResponse::type:
                break;
            case protocol::ErrorResponse::type:
                if (!entry->resetting) {
                    // An idle connection only hears from the server when it is being closed (FATAL).
                    drop(entry, false);
                    return;
                }
                if (const auto error = protocol::ErrorResponse::decode(frame.payload))
                    logDebug(category, QStringLiteral("pooled server connection: DISCARD ALL failed: %1")
                                           .arg(QString::fromUtf8(error->fields.message())));
                entry->resetFailed = true;
                break;
            case protocol::ReadyForQuery::type: {
                const auto ready = protocol::ReadyForQuery::decode(frame.payload);
                if (!entry->resetting || entry->resetFailed || !ready ||
                    ready->status != protocol::TransactionStatus::Idle) {
                    drop(entry, true);
                    return;
                }
                entry->resetting = false;
                entry->since.start();
                break;
            }
            default:
                drop(entry, true); // not an answer to DISCARD ALL
                return;
            }
        }
    }
}

void ServerPool::drop(Entry *entry, bool terminate) {
    if (!m_entries.removeOne(entry))
        return;
    UpstreamConnection *connection = entry->server.connection;
    delete entry;
    connection->disconnect(this);
    connection->setReadyReadHandler({});
    connection->closeAndDelete(terminate ? protocol::Terminate{}.encode() : QByteArray(), closeGraceMs);
    if (m_entries.isEmpty())
        m_sweep->stop();
}

void ServerPool::sweep() {
    const QList<Entry *> entries = m_entries;
    for (Entry *entry : entries) {
        const qint64 limit = entry->resetting ? resetTimeoutMs : qint64(m_idleTimeoutMs);
        if (entry->since.elapsed() >= limit)
            drop(entry, true);
    }
}

} // namespace hubsync::proxy
