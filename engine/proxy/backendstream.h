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
    // message itself, see wire()). Returns false once the stream is not protocol v3 (see error()).
    template <typename OnMessage>
    bool feed(QByteArrayView bytes, QByteArray &out, OnMessage &&onMessage);

    // True between messages: the proxy may insert a message of its own here.
    [[nodiscard]] bool atBoundary() const { return m_headerFill == 0 && m_remaining == 0; }
    [[nodiscard]] const QString &error() const { return m_error; }

    static QByteArray wire(char type, QByteArrayView payload);

private:
    // Returns false on a bad header.
    bool startMessage(QByteArray &out);

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
    while (pos < size) {
        if (m_remaining == 0 && !m_capturing) {
            const qsizetype take = qMin(protocol::typedHeaderSize - m_headerFill, size - pos);
            std::memcpy(m_header + m_headerFill, bytes.data() + pos, size_t(take));
            m_headerFill += take;
            pos += take;
            if (m_headerFill < protocol::typedHeaderSize)
                break;
            m_headerFill = 0;
            if (!startMessage(out))
                return false;
        } else {
            const qsizetype take = qsizetype(qMin<qint64>(m_remaining, size - pos));
            if (m_capturing)
                m_payload.append(bytes.data() + pos, take);
            else
                out.append(bytes.data() + pos, take);
            m_remaining -= take;
            pos += take;
        }
        if (m_capturing && m_remaining == 0) {
            m_capturing = false;
            QByteArray payload = std::exchange(m_payload, QByteArray());
            onMessage(m_type, payload, out);
        }
    }
    return true;
}

} // namespace hubsync::proxy
