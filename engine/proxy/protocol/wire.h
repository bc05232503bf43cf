#pragma once

// Building blocks shared by every PostgreSQL protocol v3 codec: a value-or-error result, a bounds-checked
// reader over one message payload and a writer that patches the length word. No sockets, Qt Core only.

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <optional>
#include <utility>

namespace hubsync::proxy::protocol {

// One sentence saying why bytes could not be decoded; the session puts it in a log line or a FATAL.
struct DecodeError final {
    QString message;
};

// std::expected is C++23 and GCC 12 has no <expected> in C++20 mode; this is the subset we need.
template <typename T>
class [[nodiscard]] Result final {
public:
    Result(T value) // NOLINT(google-explicit-constructor): returning a value must read naturally
        : m_value(std::move(value)) {}
    Result(DecodeError error) // NOLINT(google-explicit-constructor)
        : m_error(std::move(error.message)) {}

    [[nodiscard]] bool ok() const { return m_value.has_value(); }
    explicit operator bool() const { return ok(); }

    // Precondition: ok() (asserted in debug builds); callers test before they look.
    const T &value() const & {
        Q_ASSERT(m_value);
        return *m_value;
    }
    T &value() & {
        Q_ASSERT(m_value);
        return *m_value;
    }
    T &&value() && {
        Q_ASSERT(m_value);
        return std::move(*m_value);
    }
    const T &operator*() const & { return value(); }
    const T *operator->() const { return &value(); }

    [[nodiscard]] const QString &error() const { return m_error; }

private:
    std::optional<T> m_value;
    QString m_error;
};

// The 4-byte length word counts itself, so it can never be smaller than this.
constexpr qint32 lengthWordSize = 4;
// A typed message starts with 1 type byte and the length word.
constexpr qsizetype typedHeaderSize = 1 + lengthWordSize;
// Largest value a 16-bit count can carry. Postgres and libpq read Int16 counts as unsigned (a Bind may
// carry up to 65535 parameters), so a count of 0xFFFF is 65535, not -1.
constexpr qsizetype maxCount16 = 0xFFFF;

// Reads one message payload front to back. Every read is bounds-checked: on failure it returns
// std::nullopt and records the first error, so a hostile length can never make us read past the end.
class Cursor final {
public:
    explicit Cursor(QByteArrayView payload, const char *messageName);

    std::optional<quint8> readByte(const char *what);
    std::optional<qint16> readInt16(const char *what);
    std::optional<qint32> readInt32(const char *what);
    // A 16-bit element count, read unsigned like Postgres does. Fails when `count * minElementSize`
    // bytes cannot possibly follow, so callers may reserve() the count without a memory blow-up.
    std::optional<qsizetype> readCount16(const char *what, qsizetype minElementSize);
    // A NUL-terminated string; the terminator is consumed but not returned.
    std::optional<QByteArray> readCString(const char *what);
    // The same without a copy: a view into the payload.
    std::optional<QByteArrayView> readCStringView(const char *what);
    std::optional<QByteArray> readBytes(qsizetype count, const char *what);
    // A 32-bit length followed by that many bytes; -1 means SQL NULL (std::nullopt inside the optional).
    std::optional<std::optional<QByteArray>> readNullableBytes(const char *what);
    // The same checks as the reads above, without copying what is skipped.
    bool skip(qsizetype count, const char *what);
    bool skipNullableBytes(const char *what);
    QByteArray readRest();

    [[nodiscard]] qsizetype remaining() const { return m_data.size() - m_pos; }
    [[nodiscard]] bool atEnd() const { return remaining() == 0; }
    [[nodiscard]] bool failed() const { return !m_error.isEmpty(); }

    // Records an error found by the caller (a bad enum value, say). It replaces a low-level read error:
    // the caller knows more ("parameter \"user\" has no value" beats "value is not NUL-terminated").
    DecodeError fail(const QString &message);
    // The first error, or a generic one if the caller failed without reading (should not happen).
    [[nodiscard]] DecodeError error() const;
    // Postgres rejects trailing bytes ("invalid message format"); so do we, which keeps every successful
    // decode byte-exact when re-encoded.
    bool expectEnd();

private:
    bool need(qsizetype count, const char *what);
    // A value's length word: -1 (NULL) or more.
    std::optional<qint32> readNullableLength(const char *what);

    QByteArrayView m_data;
    qsizetype m_pos = 0;
    const char *m_messageName;
    QString m_error;
};

// Builds one message: the type byte (or none for the untyped startup-phase packets), a length word that
// finish() fills in, then the payload.
class MessageWriter final {
public:
    static MessageWriter typed(char type);
    static MessageWriter untyped();

    MessageWriter &byte(quint8 value);
    MessageWriter &int16(qint16 value);
    MessageWriter &int32(qint32 value);
    // Precondition: count <= maxCount16 (asserted; protocol v3 cannot express more).
    MessageWriter &count16(qsizetype count);
    // Precondition: no NUL inside `value` (decoded strings never contain one).
    MessageWriter &cstring(QByteArrayView value);
    MessageWriter &bytes(QByteArrayView value);
    MessageWriter &nullableBytes(const std::optional<QByteArray> &value);

    [[nodiscard]] QByteArray finish();

private:
    explicit MessageWriter(qsizetype headerSize);

    QByteArray m_data;
    qsizetype m_lengthOffset;
};

// Error text for an EmptyMessage that carried bytes (out of line so the template stays small).
QString emptyMessageError(char type, qsizetype payloadSize);

// Renders a type byte for error texts: 'Q' or, for unprintable bytes, 0x1b.
QString describeType(char type);

// Messages with no payload at all (Sync, Flush, Terminate, CopyDone, ParseComplete, ...). The type byte is
// the only distinction, so one template serves them all.
template <char Type>
struct EmptyMessage final {
    static constexpr char type = Type;

    static Result<EmptyMessage> decode(QByteArrayView payload) {
        if (!payload.isEmpty())
            return DecodeError{emptyMessageError(Type, payload.size())};
        return EmptyMessage{};
    }
    [[nodiscard]] QByteArray encode() const { return MessageWriter::typed(Type).finish(); }

    friend bool operator==(const EmptyMessage &, const EmptyMessage &) = default;
};

} // namespace hubsync::proxy::protocol
