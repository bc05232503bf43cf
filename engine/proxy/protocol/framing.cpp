#include "proxy/protocol/framing.h"

#include <QtEndian>

namespace hubsync::proxy::protocol {

namespace {

// Consumed bytes are dropped from the front of the buffer only once they are worth a copy; until then
// the read offset just moves forward.
constexpr qsizetype compactThreshold = 64 * 1024;

} // namespace

QByteArray Frame::toWire() const {
    QByteArray wire;
    wire.reserve(typedHeaderSize + payload.size());
    appendTo(wire);
    return wire;
}

void Frame::appendTo(QByteArray &out) const {
    char header[typedHeaderSize];
    qsizetype at = 0;
    if (!isUntyped())
        header[at++] = type;
    qToBigEndian<qint32>(qint32(payload.size() + lengthWordSize), header + at);
    out.append(header, at + lengthWordSize);
    out.append(payload);
}

MessageReader::MessageReader(Mode mode, Limits limits)
    : m_mode(mode)
    , m_limits(limits) {}

QByteArray MessageReader::takeBuffered() {
    QByteArray rest = m_buffer.mid(m_pos);
    m_buffer.clear();
    m_pos = 0;
    return rest;
}

void MessageReader::feed(QByteArrayView bytes) {
    // Past an error nothing will ever be read again; do not let a peer keep growing the buffer.
    if (!m_error.isEmpty())
        return;
    m_buffer.append(bytes.data(), bytes.size());
}

void MessageReader::feed(const QByteArray &bytes) {
    if (m_error.isEmpty() && m_buffer.isEmpty() && m_pos == 0)
        m_buffer = bytes;
    else
        feed(QByteArrayView(bytes));
}

MessageReader::Status MessageReader::failWith(const QString &message) {
    m_error = message;
    m_buffer.clear();
    m_pos = 0;
    return Status::Error;
}

void MessageReader::compact() {
    if (m_pos == m_buffer.size()) {
        m_buffer.clear();
        m_pos = 0;
    } else if (m_pos >= compactThreshold && m_pos * 2 >= m_buffer.size()) {
        m_buffer.remove(0, m_pos);
        m_pos = 0;
    }
}

MessageReader::Status MessageReader::next(Frame &frame) {
    if (!m_error.isEmpty())
        return Status::Error;

    const bool typed = m_mode == Mode::Typed;
    const qsizetype headerSize = typed ? typedHeaderSize : lengthWordSize;
    if (buffered() < headerSize)
        return Status::NeedMore;

    const char *header = m_buffer.constData() + m_pos;
    const char type = typed ? header[0] : '\0';
    const qint32 length = qFromBigEndian<qint32>(header + (typed ? 1 : 0));

    // Checked in 64 bits: a negative length read as signed must not wrap into a plausible size.
    const qint64 payloadLength = qint64(length) - lengthWordSize;
    if (typed) {
        // No message type is 0, and Frame uses 0 to mean "untyped"; most likely a startup packet arrived
        // after startup.
        if (type == '\0')
            return failWith(QStringLiteral("message type 0x00 is not a protocol v3 message (a startup packet "
                                           "after startup?)"));
        if (length < lengthWordSize)
            return failWith(QStringLiteral("invalid length %1 in message %2: the length word counts itself, so "
                                           "it must be at least 4")
                                .arg(length)
                                .arg(describeType(type)));
        if (payloadLength > m_limits.maxMessageLength)
            return failWith(QStringLiteral("message %1 of %2 bytes exceeds the limit of %3 bytes")
                                .arg(describeType(type))
                                .arg(payloadLength)
                                .arg(m_limits.maxMessageLength));
    } else {
        // Postgres: "invalid length of startup packet". 4 bytes are the least that carry a request code.
        if (payloadLength < 4 || payloadLength > m_limits.maxStartupLength)
            return failWith(QStringLiteral("invalid startup packet length %1: must be between 8 and %2")
                                .arg(length)
                                .arg(qint64(m_limits.maxStartupLength) + lengthWordSize));
    }

    if (buffered() < headerSize + payloadLength)
        return Status::NeedMore;

    frame.type = type;
    frame.payload = m_buffer.mid(m_pos + headerSize, payloadLength);
    m_pos += headerSize + payloadLength;
    compact();
    return Status::Frame;
}

QString frontendMessageName(char type) {
    switch (type) {
    case '\0':
        return QStringLiteral("startup packet");
    case 'B':
        return QStringLiteral("Bind");
    case 'C':
        return QStringLiteral("Close");
    case 'd':
        return QStringLiteral("CopyData");
    case 'c':
        return QStringLiteral("CopyDone");
    case 'f':
        return QStringLiteral("CopyFail");
    case 'D':
        return QStringLiteral("Describe");
    case 'E':
        return QStringLiteral("Execute");
    case 'H':
        return QStringLiteral("Flush");
    case 'F':
        return QStringLiteral("FunctionCall");
    case 'P':
        return QStringLiteral("Parse");
    case 'p':
        return QStringLiteral("PasswordMessage/SASLResponse");
    case 'Q':
        return QStringLiteral("Query");
    case 'S':
        return QStringLiteral("Sync");
    case 'X':
        return QStringLiteral("Terminate");
    default:
        return QStringLiteral("unknown frontend message %1").arg(describeType(type));
    }
}

QString backendMessageName(char type) {
    switch (type) {
    case 'R':
        return QStringLiteral("Authentication");
    case 'K':
        return QStringLiteral("BackendKeyData");
    case '2':
        return QStringLiteral("BindComplete");
    case '3':
        return QStringLiteral("CloseComplete");
    case 'C':
        return QStringLiteral("CommandComplete");
    case 'd':
        return QStringLiteral("CopyData");
    case 'c':
        return QStringLiteral("CopyDone");
    case 'G':
        return QStringLiteral("CopyInResponse");
    case 'H':
        return QStringLiteral("CopyOutResponse");
    case 'W':
        return QStringLiteral("CopyBothResponse");
    case 'D':
        return QStringLiteral("DataRow");
    case 'I':
        return QStringLiteral("EmptyQueryResponse");
    case 'E':
        return QStringLiteral("ErrorResponse");
    case 'V':
        return QStringLiteral("FunctionCallResponse");
    case 'v':
        return QStringLiteral("NegotiateProtocolVersion");
    case 'n':
        return QStringLiteral("NoData");
    case 'N':
        return QStringLiteral("NoticeResponse");
    case 'A':
        return QStringLiteral("NotificationResponse");
    case 't':
        return QStringLiteral("ParameterDescription");
    case 'S':
        return QStringLiteral("ParameterStatus");
    case '1':
        return QStringLiteral("ParseComplete");
    case 's':
        return QStringLiteral("PortalSuspended");
    case 'Z':
        return QStringLiteral("ReadyForQuery");
    case 'T':
        return QStringLiteral("RowDescription");
    default:
        return QStringLiteral("unknown backend message %1").arg(describeType(type));
    }
}

} // namespace hubsync::proxy::protocol
