#pragma once

// The authentication exchange: the server's Authentication* requests ('R') and the client's answers, which
// all share type 'p'. Which 'p' message arrived depends on the request that preceded it, so the session,
// which knows that context, picks the decoder; the frame itself stays raw until then.

#include "proxy/protocol/wire.h"

#include <QByteArray>
#include <QList>

#include <optional>

namespace hubsync::proxy::protocol {

// Backend 'R'. One struct for all sub-codes: they differ only in which of the fields below is used.
struct Authentication final {
    static constexpr char type = 'R';

    enum class Kind : qint32 {
        Ok = 0,
        KerberosV5 = 2,
        CleartextPassword = 3,
        Md5Password = 5,
        Gss = 7,
        GssContinue = 8,
        Sspi = 9,
        Sasl = 10,
        SaslContinue = 11,
        SaslFinal = 12,
    };
    static constexpr qsizetype md5SaltLength = 4;

    Kind kind = Kind::Ok;
    QByteArray salt;              // Md5Password: exactly 4 bytes
    QList<QByteArray> mechanisms; // Sasl: e.g. SCRAM-SHA-256, SCRAM-SHA-256-PLUS
    QByteArray data;              // GssContinue, SaslContinue, SaslFinal: opaque to the proxy

    static Authentication ok() { return {}; }
    static Authentication cleartextPassword();
    static Authentication md5Password(QByteArray salt);
    static Authentication sasl(QList<QByteArray> mechanisms);
    static Authentication saslContinue(QByteArray data);
    static Authentication saslFinal(QByteArray data);

    static Result<Authentication> decode(QByteArrayView payload);
    [[nodiscard]] QByteArray encode() const;

    friend bool operator==(const Authentication &, const Authentication &) = default;
};

// Frontend 'p' after AuthenticationCleartextPassword or AuthenticationMD5Password.
struct PasswordMessage final {
    static constexpr char type = 'p';

    QByteArray password; // cleartext, or "md5" + 32 hex digits

    static Result<PasswordMessage> decode(QByteArrayView payload);
    [[nodiscard]] QByteArray encode() const;

    friend bool operator==(const PasswordMessage &, const PasswordMessage &) = default;
};

// Frontend 'p' after AuthenticationSASL: the chosen mechanism and the client-first-message.
struct SaslInitialResponse final {
    static constexpr char type = 'p';

    QByteArray mechanism;
    std::optional<QByteArray> initialResponse; // nullopt is sent as length -1 ("no initial response")

    static Result<SaslInitialResponse> decode(QByteArrayView payload);
    [[nodiscard]] QByteArray encode() const;

    friend bool operator==(const SaslInitialResponse &, const SaslInitialResponse &) = default;
};

// Frontend 'p' after AuthenticationSASLContinue (also the shape of a GSSAPI/SSPI response): all payload.
struct SaslResponse final {
    static constexpr char type = 'p';

    QByteArray data;

    static Result<SaslResponse> decode(QByteArrayView payload);
    [[nodiscard]] QByteArray encode() const;

    friend bool operator==(const SaslResponse &, const SaslResponse &) = default;
};

} // namespace hubsync::proxy::protocol
