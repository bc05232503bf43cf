#pragma once

// The untyped packets a client may send before (or instead of) a session: StartupMessage, SSLRequest,
// GSSENCRequest and CancelRequest. They share one framing (length word, then a 32-bit code) and are told
// apart by that code, so they are decoded together.

#include "proxy/protocol/wire.h"

#include <QByteArray>
#include <QList>

#include <utility>
#include <variant>

namespace hubsync::proxy::protocol {

// Protocol versions are major << 16 | minor; the special request codes use major 1234 so that they can
// never be mistaken for a real version.
constexpr qint32 makeProtocolVersion(int major, int minor) {
    return (major << 16) | minor;
}
constexpr qint32 protocolVersion30 = makeProtocolVersion(3, 0);
constexpr qint32 cancelRequestCode = makeProtocolVersion(1234, 5678); // 80877102
constexpr qint32 sslRequestCode = makeProtocolVersion(1234, 5679);    // 80877103
constexpr qint32 gssEncRequestCode = makeProtocolVersion(1234, 5680); // 80877104

// Cancel keys are 4 bytes up to protocol 3.1; protocol 3.2 (PG 18) allows up to 256.
constexpr qsizetype minCancelKeyLength = 4;
constexpr qsizetype maxCancelKeyLength = 256;

struct StartupMessage final {
    // Any 3.x is accepted: a newer minor is answered with NegotiateProtocolVersion by the server, which the
    // proxy relays.
    qint32 protocolVersion = protocolVersion30;
    // In the client's order, duplicates kept: the proxy forwards what it received.
    QList<std::pair<QByteArray, QByteArray>> parameters;

    // The first value of `name`, or a null QByteArray when absent.
    [[nodiscard]] QByteArray value(QByteArrayView name) const;
    [[nodiscard]] int majorVersion() const { return protocolVersion >> 16; }
    [[nodiscard]] int minorVersion() const { return protocolVersion & 0xFFFF; }

    static Result<StartupMessage> decode(QByteArrayView payload);
    [[nodiscard]] QByteArray encode() const;

    friend bool operator==(const StartupMessage &, const StartupMessage &) = default;
};

// Answered with one byte, 'S' or 'N'; a loopback proxy without TLS says 'N'.
struct SslRequest final {
    static Result<SslRequest> decode(QByteArrayView payload);
    [[nodiscard]] QByteArray encode() const;

    friend bool operator==(const SslRequest &, const SslRequest &) = default;
};

// Answered with one byte, 'G' or 'N'.
struct GssEncRequest final {
    static Result<GssEncRequest> decode(QByteArrayView payload);
    [[nodiscard]] QByteArray encode() const;

    friend bool operator==(const GssEncRequest &, const GssEncRequest &) = default;
};

// Sent on a fresh connection with the keys from BackendKeyData; the proxy maps them to the upstream's.
struct CancelRequest final {
    qint32 processId = 0;
    QByteArray secretKey; // 4 bytes in protocol 3.0, up to 256 in 3.2

    static Result<CancelRequest> decode(QByteArrayView payload);
    [[nodiscard]] QByteArray encode() const;

    friend bool operator==(const CancelRequest &, const CancelRequest &) = default;
};

using StartupPacket = std::variant<StartupMessage, SslRequest, GssEncRequest, CancelRequest>;

// Decodes the payload of an untyped frame (see MessageReader::Mode::Startup) by its leading code.
Result<StartupPacket> decodeStartupPacket(QByteArrayView payload);
QByteArray encodeStartupPacket(const StartupPacket &packet);

} // namespace hubsync::proxy::protocol
