#pragma once

// Incremental framing of a PostgreSQL protocol v3 byte stream: feed whatever a socket delivered, pull
// complete frames. Knows nothing about message contents; the decoders in the sibling files do that.

#include "proxy/protocol/wire.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

namespace hubsync::proxy::protocol {

// Postgres' own ceiling for any message (PQ_LARGE_MESSAGE_LIMIT, payload bytes).
constexpr qint32 postgresMaxMessageLength = 0x3fffffff;
// Postgres' ceiling for a startup-phase packet (MAX_STARTUP_PACKET_LENGTH, payload bytes).
constexpr qint32 postgresMaxStartupLength = 10000;
// The proxy's default: big enough for any realistic CopyData or DataRow, small enough that one hostile
// client cannot make us buffer a gigabyte.
constexpr qint32 defaultMaxMessageLength = 64 * 1024 * 1024;

// One complete message. `type` is 0 for the untyped startup-phase packets (StartupMessage, SSLRequest,
// GSSENCRequest, CancelRequest); `payload` excludes the type byte and the length word.
struct Frame final {
    char type = 0;
    QByteArray payload;

    [[nodiscard]] bool isUntyped() const { return type == 0; }
    // The frame as it travelled on the wire, for byte-for-byte pass-through.
    [[nodiscard]] QByteArray toWire() const;
    // The same bytes appended to `out` (no buffer of their own: the relay's hot path).
    void appendTo(QByteArray &out) const;

    friend bool operator==(const Frame &, const Frame &) = default;
};

// Both limits count payload bytes, like Postgres does.
struct FrameLimits final {
    qint32 maxMessageLength = defaultMaxMessageLength;
    qint32 maxStartupLength = postgresMaxStartupLength;
};

class MessageReader final {
public:
    // A server-bound connection starts untyped; the session switches to Typed once a StartupMessage was
    // read (SSLRequest and GSSENCRequest are followed by another untyped packet). Client-bound streams,
    // i.e. what a server sends, are typed from the first byte.
    enum class Mode { Startup, Typed };
    enum class Status { Frame, NeedMore, Error };

    // Declared outside the class: GCC rejects a nested struct with member initializers as a default
    // argument of its enclosing class's constructor.
    using Limits = FrameLimits;

    explicit MessageReader(Mode mode = Mode::Typed, Limits limits = {});

    void setMode(Mode mode) { m_mode = mode; }
    [[nodiscard]] Mode mode() const { return m_mode; }
    [[nodiscard]] const Limits &limits() const { return m_limits; }

    void feed(QByteArrayView bytes);

    // The same; an empty reader keeps `bytes` itself (shared) instead of copying it.

    void feed(const QByteArray &bytes);

    // Status::Frame fills `frame`. A bad header is reported as soon as its bytes are in, without waiting
    // for a body that may never come. Errors are sticky: once framing is lost the only safe reaction is to
    // drop the connection (protocol.sgml), so every later call reports the same error.
    Status next(Frame &frame);

    [[nodiscard]] const QString &error() const { return m_error; }
    // Bytes fed but not yet returned as frames.
    [[nodiscard]] qsizetype buffered() const { return m_buffer.size() - m_pos; }
    // Hands over the bytes fed but not yet returned (the start of a message), leaving the reader empty.
    QByteArray takeBuffered();

private:
    Status failWith(const QString &message);
    void compact();

    Mode m_mode;
    Limits m_limits;
    QByteArray m_buffer;
    qsizetype m_pos = 0;
    QString m_error;
};

// Human-readable message names for logs. The same byte means different things in each direction
// ('D' is Describe from a client and DataRow from a server), hence two functions.
QString frontendMessageName(char type);
QString backendMessageName(char type);

} // namespace hubsync::proxy::protocol
