#pragma once

// Every protocol decoder behind one signature, for tst_protocol and fuzz_protocol: both want to throw the
// same bytes at all of them and check the canonical-encoding property (a successful decode re-encodes to
// exactly the bytes it came from).

#include "proxy/protocol/auth.h"
#include "proxy/protocol/copy.h"
#include "proxy/protocol/errorfields.h"
#include "proxy/protocol/framing.h"
#include "proxy/protocol/messages_backend.h"
#include "proxy/protocol/messages_frontend.h"
#include "proxy/protocol/startup.h"

#include <QByteArray>
#include <QString>
#include <QtEndian>

#include <array>
#include <span>

namespace hubsync::proxy::protocol::testing {

struct Decoded final {
    bool ok = false;
    QString error;
    QByteArray wire; // the re-encoded message, header included, when ok
};

struct Decoder final {
    const char *name;
    char type; // 0 for the untyped startup-phase packets
    Decoded (*decode)(QByteArrayView payload);

    // The payload part of `wire`, i.e. what decode() was given if the encoding is canonical.
    [[nodiscard]] QByteArray payloadOf(const QByteArray &wire) const {
        return wire.mid(type == 0 ? lengthWordSize : typedHeaderSize);
    }
};

template <typename Message>
Decoded decodeWith(QByteArrayView payload) {
    Result<Message> result = Message::decode(payload);
    if (!result)
        return Decoded{false, result.error(), {}};
    return Decoded{true, {}, result->encode()};
}

inline Decoded decodeAnyStartupPacket(QByteArrayView payload) {
    Result<StartupPacket> result = decodeStartupPacket(payload);
    if (!result)
        return Decoded{false, result.error(), {}};
    return Decoded{true, {}, encodeStartupPacket(*result)};
}

// Client to server. The three 'p' decoders all apply to any 'p' frame; context picks one in a session.
inline constexpr std::array frontendDecoders{
    Decoder{"StartupPacket", 0, &decodeAnyStartupPacket},
    Decoder{"StartupMessage", 0, &decodeWith<StartupMessage>},
    Decoder{"SSLRequest", 0, &decodeWith<SslRequest>},
    Decoder{"GSSENCRequest", 0, &decodeWith<GssEncRequest>},
    Decoder{"CancelRequest", 0, &decodeWith<CancelRequest>},
    Decoder{"Query", Query::type, &decodeWith<Query>},
    Decoder{"Parse", Parse::type, &decodeWith<Parse>},
    Decoder{"Bind", Bind::type, &decodeWith<Bind>},
    Decoder{"Describe", Describe::type, &decodeWith<Describe>},
    Decoder{"Execute", Execute::type, &decodeWith<Execute>},
    Decoder{"Close", Close::type, &decodeWith<Close>},
    Decoder{"Sync", Sync::type, &decodeWith<Sync>},
    Decoder{"Flush", Flush::type, &decodeWith<Flush>},
    Decoder{"Terminate", Terminate::type, &decodeWith<Terminate>},
    Decoder{"CopyData/F", CopyData::type, &decodeWith<CopyData>},
    Decoder{"CopyDone/F", CopyDone::type, &decodeWith<CopyDone>},
    Decoder{"CopyFail", CopyFail::type, &decodeWith<CopyFail>},
    Decoder{"PasswordMessage", PasswordMessage::type, &decodeWith<PasswordMessage>},
    Decoder{"SASLInitialResponse", SaslInitialResponse::type, &decodeWith<SaslInitialResponse>},
    Decoder{"SASLResponse", SaslResponse::type, &decodeWith<SaslResponse>},
};

// Server to client.
inline constexpr std::array backendDecoders{
    Decoder{"Authentication", Authentication::type, &decodeWith<Authentication>},
    Decoder{"ParameterStatus", ParameterStatus::type, &decodeWith<ParameterStatus>},
    Decoder{"BackendKeyData", BackendKeyData::type, &decodeWith<BackendKeyData>},
    Decoder{"ReadyForQuery", ReadyForQuery::type, &decodeWith<ReadyForQuery>},
    Decoder{"RowDescription", RowDescription::type, &decodeWith<RowDescription>},
    Decoder{"DataRow", DataRow::type, &decodeWith<DataRow>},
    Decoder{"CommandComplete", CommandComplete::type, &decodeWith<CommandComplete>},
    Decoder{"EmptyQueryResponse", EmptyQueryResponse::type, &decodeWith<EmptyQueryResponse>},
    Decoder{"ParseComplete", ParseComplete::type, &decodeWith<ParseComplete>},
    Decoder{"BindComplete", BindComplete::type, &decodeWith<BindComplete>},
    Decoder{"CloseComplete", CloseComplete::type, &decodeWith<CloseComplete>},
    Decoder{"NoData", NoData::type, &decodeWith<NoData>},
    Decoder{"ParameterDescription", ParameterDescription::type, &decodeWith<ParameterDescription>},
    Decoder{"PortalSuspended", PortalSuspended::type, &decodeWith<PortalSuspended>},
    Decoder{"NotificationResponse", NotificationResponse::type, &decodeWith<NotificationResponse>},
    Decoder{"NegotiateProtocolVersion", NegotiateProtocolVersion::type, &decodeWith<NegotiateProtocolVersion>},
    Decoder{"ErrorResponse", ErrorResponse::type, &decodeWith<ErrorResponse>},
    Decoder{"NoticeResponse", NoticeResponse::type, &decodeWith<NoticeResponse>},
    Decoder{"CopyData/B", CopyData::type, &decodeWith<CopyData>},
    Decoder{"CopyDone/B", CopyDone::type, &decodeWith<CopyDone>},
    Decoder{"CopyInResponse", CopyInResponse::type, &decodeWith<CopyInResponse>},
    Decoder{"CopyOutResponse", CopyOutResponse::type, &decodeWith<CopyOutResponse>},
    Decoder{"CopyBothResponse", CopyBothResponse::type, &decodeWith<CopyBothResponse>},
};

// Both tables, for code that runs everything.
inline constexpr std::array<std::span<const Decoder>, 2> allDecoders{frontendDecoders, backendDecoders};

// Runs one decoder and checks the canonical-encoding property. Returns an empty string when the decode
// failed cleanly or succeeded canonically, otherwise what went wrong.
inline QString checkCanonical(const Decoder &decoder, QByteArrayView payload) {
    const Decoded decoded = decoder.decode(payload);
    if (!decoded.ok) {
        if (decoded.error.isEmpty())
            return QStringLiteral("%1: failed without an error text").arg(QLatin1StringView(decoder.name));
        return {};
    }
    if (decoder.type != 0 && (decoded.wire.isEmpty() || decoded.wire.at(0) != decoder.type))
        return QStringLiteral("%1: re-encoded with the wrong type byte").arg(QLatin1StringView(decoder.name));
    const qsizetype lengthAt = decoder.type == 0 ? 0 : 1;
    if (decoded.wire.size() < lengthAt + lengthWordSize ||
        qFromBigEndian<qint32>(decoded.wire.constData() + lengthAt) != decoded.wire.size() - lengthAt)
        return QStringLiteral("%1: re-encoded with a wrong length word").arg(QLatin1StringView(decoder.name));
    if (decoder.payloadOf(decoded.wire) != payload)
        return QStringLiteral("%1: re-encoding differs from the input").arg(QLatin1StringView(decoder.name));
    return {};
}

} // namespace hubsync::proxy::protocol::testing
