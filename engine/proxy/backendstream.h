#pragma once

// Splits the server-to-client byte stream into runs that are relayed as they arrive and the few messages
// a session must see whole (ReadyForQuery, BackendKeyData, ErrorResponse, COPY starts, ...). DataRows and
// other bulk messages are never buffered, so a 100 MB row costs the proxy one socket chunk of memory, and
// relayed bytes are forwarded byte for byte without being re-encoded.

#include "proxy/protocol/framing.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <bitset>
#include <cstring>

namespace hubsync::proxy {

class BackendStream final {
public:
    BackendStream();

    // Types delivered whole to feed()'s callback; every other type is relayed in pieces.
    void watch(char type) { m_watched.set(quint8(type)); }
    void unwatch(char type) { m_watched.reset(quint8(type)); }
    [[nodiscard]] bool isWatched(char type) const { return m_watched.test(quint8(type)); }

    // Appends relayed bytes to `out` and calls onMessage(type, payload, out) for each complete watched
    // message, in stream order; the callback appends whatever should reach the client instead (usually the
    // message itself, see appendWire()). `payload` is valid during the call only. Returns false once the
    // stream is not protocol v3 (see error()).
    template <typename OnMessage>
    bool feed(QByteArrayView bytes, QByteArray &out, OnMessage &&onMessage);

    // True between messages: the proxy may insert a message of its own here.
    [[nodiscard]] bool atBoundary() const { return m_headerFill == 0 && m_remaining == 0; }
    [[nodiscard]] const QString &error() const { return m_error; }

    // Appends the message (type, length word, payload) to `out`.
    static void appendWire(QByteArray &out, char type, QByteArrayView payload);

private:
    // Reads m_header; false on a bad one.
    bool startMessage();

    std::bitset<256> m_watched;
    char m_header[protocol::typedHeaderSize] = {};
    qsizetype m_headerFill = 0;
    char m_type = 0;
    qint64 m_remaining = 0; // body bytes of the current message not yet seen
    bool m_capturing = false;
    QByteArray m_payload;
    QString m_error;
};

template <typename OnMessage>
bool BackendStream::feed(QByteArrayView bytes, QByteArray &out, OnMessage &&onMessage) {
    if (!m_error.isEmpty())
        return false;
    qsizetype pos = 0;
    const qsizetype size = bytes.size();
    // Relayed bytes are appended in runs: consecutive unwatched messages (a result set's DataRows, say)
    // cost one append, not two per message.
    qsizetype runStart = -1;
    const auto flushRun = [&](qsizetype end) {
        if (runStart >= 0 && end > runStart)
            out.append(bytes.data() + runStart, end - runStart);
        runStart = -1;
    };
    while (pos < size) {
        if (m_remaining == 0 && !m_capturing) {
            if (m_headerFill == 0 && size - pos >= protocol::typedHeaderSize) {
                std::memcpy(m_header, bytes.data() + pos, size_t(protocol::typedHeaderSize));
                if (!startMessage()) {
                    flushRun(pos);
                    return false;
                }
                if (!m_capturing) {
                    if (runStart < 0)
                        runStart = pos;
                    pos += protocol::typedHeaderSize;
                    continue;
                }
                flushRun(pos);
                pos += protocol::typedHeaderSize;
            } else {
                // A header split between chunks.
                flushRun(pos);
                const qsizetype take = qMin(protocol::typedHeaderSize - m_headerFill, size - pos);
                std::memcpy(m_header + m_headerFill, bytes.data() + pos, size_t(take));
                m_headerFill += take;
                pos += take;
                if (m_headerFill < protocol::typedHeaderSize)
                    break;
                m_headerFill = 0;
                if (!startMessage())
                    return false;
                if (!m_capturing) {
                    out.append(m_header, protocol::typedHeaderSize);
                    continue;
                }
            }
            if (size - pos >= m_remaining) {
                // The whole watched message is in this chunk (the usual case): seen in place, not copied.
                const QByteArrayView payload = bytes.sliced(pos, qsizetype(m_remaining));
                pos += qsizetype(m_remaining);
                m_remaining = 0;
                m_capturing = false;
                onMessage(m_type, payload, out);
                continue;
            }
        } else {
            const qsizetype take = qsizetype(qMin<qint64>(m_remaining, size - pos));
            if (m_capturing)
                m_payload.append(bytes.data() + pos, take);
            else if (runStart < 0)
                runStart = pos;
            m_remaining -= take;
            pos += take;
        }
        if (m_capturing && m_remaining == 0) {
            m_capturing = false;
            const QByteArray payload = std::exchange(m_payload, QByteArray());
            onMessage(m_type, QByteArrayView(payload), out);
        }
    }
    flushRun(size);
    return true;
}

} // namespace hubsync::proxy
