#include "proxy/backendstream.h"

#include "proxy/protocol/wire.h"

#include <QtEndian>

namespace hubsync::proxy {

BackendStream::BackendStream() {
    // What Session needs: authentication, parameters, keys, transaction status, errors (refusals are
    // rewritten), COPY sub-protocol boundaries and completions. All are small.
    for (const char type : {'R', 'S', 'K', 'Z', 'E', 'G', 'H', 'W', 'c', 'C'})
        watch(type);
}

QByteArray BackendStream::wire(char type, QByteArrayView payload) {
    return protocol::MessageWriter::typed(type).bytes(payload).finish();
}

bool BackendStream::startMessage(QByteArray &out) {
    m_type = m_header[0];
    const qint32 length = qFromBigEndian<qint32>(m_header + 1);
    if (m_type == '\0' || length < protocol::lengthWordSize ||
        length - protocol::lengthWordSize > protocol::postgresMaxMessageLength) {
        m_error = QStringLiteral("the server sent an invalid message header (type %1, length %2)")
                      .arg(protocol::describeType(m_type))
                      .arg(length);
        return false;
    }
    m_remaining = length - protocol::lengthWordSize;
    m_capturing = isWatched(m_type);
    if (m_capturing)
        m_payload.reserve(qsizetype(qMin<qint64>(m_remaining, 64 * 1024)));
    else
        out.append(m_header, protocol::typedHeaderSize);
    return true;
}

} // namespace hubsync::proxy
