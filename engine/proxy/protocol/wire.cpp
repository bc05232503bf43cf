#include "proxy/protocol/wire.h"

#include <QtEndian>

#include <cstring>
#include <limits>

namespace hubsync::proxy::protocol {

Cursor::Cursor(QByteArrayView payload, const char *messageName)
    : m_data(payload)
    , m_messageName(messageName) {}

bool Cursor::need(qsizetype count, const char *what) {
    if (failed())
        return false;
    if (count < 0 || count > remaining()) {
        fail(QStringLiteral("truncated %1: %2 needs %3 bytes but only %4 remain")
                 .arg(QLatin1StringView(m_messageName), QLatin1StringView(what))
                 .arg(count)
                 .arg(remaining()));
        return false;
    }
    return true;
}

std::optional<quint8> Cursor::readByte(const char *what) {
    if (!need(1, what))
        return std::nullopt;
    return static_cast<quint8>(m_data[m_pos++]);
}

std::optional<qint16> Cursor::readInt16(const char *what) {
    if (!need(2, what))
        return std::nullopt;
    const auto value = qFromBigEndian<qint16>(m_data.data() + m_pos);
    m_pos += 2;
    return value;
}

std::optional<qint32> Cursor::readInt32(const char *what) {
    if (!need(4, what))
        return std::nullopt;
    const auto value = qFromBigEndian<qint32>(m_data.data() + m_pos);
    m_pos += 4;
    return value;
}

std::optional<qsizetype> Cursor::readCount16(const char *what, qsizetype minElementSize) {
    if (!need(2, what))
        return std::nullopt;
    const qsizetype count = qFromBigEndian<quint16>(m_data.data() + m_pos);
    m_pos += 2;
    // Checked before any allocation: a claimed count the payload cannot hold is an attack or a bug.
    if (count * minElementSize > remaining()) {
        fail(QStringLiteral("%1: %2 is %3 but only %4 bytes remain (at least %5 per element)")
                 .arg(QLatin1StringView(m_messageName), QLatin1StringView(what))
                 .arg(count)
                 .arg(remaining())
                 .arg(minElementSize));
        return std::nullopt;
    }
    return count;
}

std::optional<QByteArrayView> Cursor::readCStringView(const char *what) {
    if (failed())
        return std::nullopt;
    // memchr on an empty range may get a null pointer, which is undefined even for length 0.
    const void *terminator =
        atEnd() ? nullptr : std::memchr(m_data.data() + m_pos, 0, static_cast<size_t>(remaining()));
    if (!terminator) {
        fail(QStringLiteral("%1: %2 is not NUL-terminated")
                 .arg(QLatin1StringView(m_messageName), QLatin1StringView(what)));
        return std::nullopt;
    }
    const qsizetype length = static_cast<const char *>(terminator) - (m_data.data() + m_pos);
    const QByteArrayView value = m_data.sliced(m_pos, length);
    m_pos += length + 1;
    return value;
}

std::optional<QByteArray> Cursor::readCString(const char *what) {
    const std::optional<QByteArrayView> value = readCStringView(what);
    if (!value)
        return std::nullopt;
    return value->toByteArray();
}

std::optional<QByteArray> Cursor::readBytes(qsizetype count, const char *what) {
    if (!need(count, what))
        return std::nullopt;
    QByteArray value(m_data.data() + m_pos, count);
    m_pos += count;
    return value;
}

bool Cursor::skip(qsizetype count, const char *what) {
    if (!need(count, what))
        return false;
    m_pos += count;
    return true;
}

std::optional<qint32> Cursor::readNullableLength(const char *what) {
    const std::optional<qint32> length = readInt32(what);
    if (length && *length < -1) {
        fail(QStringLiteral("%1: %2 has negative length %3 (only -1, meaning NULL, is allowed)")
                 .arg(QLatin1StringView(m_messageName), QLatin1StringView(what))
                 .arg(*length));
        return std::nullopt;
    }
    return length;
}

std::optional<std::optional<QByteArray>> Cursor::readNullableBytes(const char *what) {
    const std::optional<qint32> length = readNullableLength(what);
    if (!length)
        return std::nullopt;
    if (*length == -1)
        return std::optional<QByteArray>();
    std::optional<QByteArray> bytes = readBytes(*length, what);
    if (!bytes)
        return std::nullopt;
    return std::optional<QByteArray>(std::move(*bytes));
}

bool Cursor::skipNullableBytes(const char *what) {
    const std::optional<qint32> length = readNullableLength(what);
    return length && (*length == -1 || skip(*length, what));
}

QByteArray Cursor::readRest() {
    QByteArray value = m_data.sliced(m_pos).toByteArray();
    m_pos = m_data.size();
    return value;
}

DecodeError Cursor::fail(const QString &message) {
    m_error = message;
    return DecodeError{m_error};
}

DecodeError Cursor::error() const {
    if (m_error.isEmpty())
        return DecodeError{QStringLiteral("%1: malformed message").arg(QLatin1StringView(m_messageName))};
    return DecodeError{m_error};
}

bool Cursor::expectEnd() {
    if (failed())
        return false;
    if (!atEnd()) {
        fail(QStringLiteral("%1: %2 unexpected bytes after the last field")
                 .arg(QLatin1StringView(m_messageName))
                 .arg(remaining()));
        return false;
    }
    return true;
}

MessageWriter::MessageWriter(qsizetype headerSize)
    : m_lengthOffset(headerSize - lengthWordSize) {
    m_data.reserve(64);
    m_data.resize(headerSize, '\0');
}

MessageWriter MessageWriter::typed(char type) {
    MessageWriter writer(typedHeaderSize);
    writer.m_data[0] = type;
    return writer;
}

MessageWriter MessageWriter::untyped() {
    return MessageWriter(lengthWordSize);
}

MessageWriter &MessageWriter::byte(quint8 value) {
    m_data.append(static_cast<char>(value));
    return *this;
}

MessageWriter &MessageWriter::int16(qint16 value) {
    char buffer[2];
    qToBigEndian(value, buffer);
    m_data.append(buffer, 2);
    return *this;
}

MessageWriter &MessageWriter::int32(qint32 value) {
    char buffer[4];
    qToBigEndian(value, buffer);
    m_data.append(buffer, 4);
    return *this;
}

MessageWriter &MessageWriter::count16(qsizetype count) {
    Q_ASSERT(count >= 0 && count <= maxCount16);
    char buffer[2];
    qToBigEndian(static_cast<quint16>(count), buffer);
    m_data.append(buffer, 2);
    return *this;
}

MessageWriter &MessageWriter::cstring(QByteArrayView value) {
    Q_ASSERT(!value.contains('\0'));
    m_data.append(value.data(), value.size());
    m_data.append('\0');
    return *this;
}

MessageWriter &MessageWriter::bytes(QByteArrayView value) {
    m_data.append(value.data(), value.size());
    return *this;
}

MessageWriter &MessageWriter::nullableBytes(const std::optional<QByteArray> &value) {
    if (!value)
        return int32(-1);
    Q_ASSERT(value->size() <= std::numeric_limits<qint32>::max());
    int32(static_cast<qint32>(value->size()));
    return bytes(*value);
}

QByteArray MessageWriter::finish() {
    const qsizetype length = m_data.size() - m_lengthOffset;
    Q_ASSERT(length <= std::numeric_limits<qint32>::max());
    qToBigEndian(static_cast<qint32>(length), m_data.data() + m_lengthOffset);
    return std::move(m_data);
}

QString emptyMessageError(char type, qsizetype payloadSize) {
    return QStringLiteral("message %1 must be empty but carries %2 bytes").arg(describeType(type)).arg(payloadSize);
}

QString describeType(char type) {
    const auto byte = static_cast<unsigned char>(type);
    if (byte >= 0x21 && byte < 0x7f)
        return QStringLiteral("'%1'").arg(QLatin1Char(type));
    return QStringLiteral("0x%1").arg(byte, 2, 16, QLatin1Char('0'));
}

} // namespace hubsync::proxy::protocol
