#include "proxy/backendstream.h"

#include "proxy/protocol/wire.h"

#include <QtEndian>

namespace hubsync::proxy {

BackendStream::BackendStream() {
    // What Session needs: authentication, parameters, keys, transaction status, errors (refusals are
    // rewritten) and COPY sub-protocol boundaries. All are small. (Session watches CommandComplete while
    // a COPY runs.)
    for (const char type : {'R', 'S', 'K', 'Z', 'E', 'G', 'H', 'W', 'c'})
        watch(type);
}

void BackendStream::appendWire(QByteArray &out, char type, QByteArrayView payload) {
    char header[protocol::typedHeaderSize];
    header[0] = type;
    qToBigEndian<qint32>(qint32(payload.size() + protocol::lengthWordSize), header + 1);
    out.append(header, protocol::typedHeaderSize);
    out.append(payload);
}

bool BackendStream::startMessage() {
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
    return true;
}

} // namespace hubsync::proxy
