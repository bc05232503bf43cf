#include "proxy/protocol/auth.h"

namespace hubsync::proxy::protocol {

Authentication Authentication::cleartextPassword() {
    Authentication request;
    request.kind = Kind::CleartextPassword;
    return request;
}

Authentication Authentication::md5Password(QByteArray salt) {
    Authentication request;
    request.kind = Kind::Md5Password;
    request.salt = std::move(salt);
    return request;
}

Authentication Authentication::sasl(QList<QByteArray> mechanisms) {
    Authentication request;
    request.kind = Kind::Sasl;
    request.mechanisms = std::move(mechanisms);
    return request;
}

Authentication Authentication::saslContinue(QByteArray data) {
    Authentication request;
    request.kind = Kind::SaslContinue;
    request.data = std::move(data);
    return request;
}

Authentication Authentication::saslFinal(QByteArray data) {
    Authentication request;
    request.kind = Kind::SaslFinal;
    request.data = std::move(data);
    return request;
}

Result<Authentication> Authentication::decode(QByteArrayView payload) {
    Cursor cursor(payload, "Authentication");
    const std::optional<qint32> code = cursor.readInt32("request code");
    if (!code)
        return cursor.error();
    Authentication request;
    request.kind = static_cast<Kind>(*code);
    switch (request.kind) {
    case Kind::Ok:
    case Kind::KerberosV5:
    case Kind::CleartextPassword:
    case Kind::Gss:
    case Kind::Sspi:
        break;
    case Kind::Md5Password: {
        std::optional<QByteArray> salt = cursor.readBytes(md5SaltLength, "MD5 salt");
        if (!salt)
            return cursor.error();
        request.salt = std::move(*salt);
        break;
    }
    case Kind::Sasl:
        // Mechanism names, closed by an empty one.
        while (true) {
            std::optional<QByteArray> mechanism = cursor.readCString("SASL mechanism");
            if (!mechanism)
                return cursor.fail(QStringLiteral("AuthenticationSASL: mechanism list is not closed by a NUL byte"));
            if (mechanism->isEmpty())
                break;
            request.mechanisms.append(std::move(*mechanism));
        }
        break;
    case Kind::GssContinue:
    case Kind::SaslContinue:
    case Kind::SaslFinal:
        request.data = cursor.readRest();
        break;
    default:
        // Not a value of Kind: reject rather than guess, since the layout of the rest is unknown.
        return cursor.fail(QStringLiteral("Authentication: unsupported request code %1").arg(*code));
    }
    if (!cursor.expectEnd())
        return cursor.error();
    return request;
}

QByteArray Authentication::encode() const {
    MessageWriter writer = MessageWriter::typed(type);
    writer.int32(static_cast<qint32>(kind));
    switch (kind) {
    case Kind::Md5Password:
        Q_ASSERT(salt.size() == md5SaltLength);
        writer.bytes(salt);
        break;
    case Kind::Sasl:
        for (const QByteArray &mechanism : mechanisms)
            writer.cstring(mechanism);
        writer.byte(0);
        break;
    case Kind::GssContinue:
    case Kind::SaslContinue:
    case Kind::SaslFinal:
        writer.bytes(data);
        break;
    case Kind::Ok:
    case Kind::KerberosV5:
    case Kind::CleartextPassword:
    case Kind::Gss:
    case Kind::Sspi:
        break;
    }
    return writer.finish();
}

Result<PasswordMessage> PasswordMessage::decode(QByteArrayView payload) {
    Cursor cursor(payload, "PasswordMessage");
    std::optional<QByteArray> password = cursor.readCString("password");
    if (!password || !cursor.expectEnd())
        return cursor.error();
    return PasswordMessage{std::move(*password)};
}

QByteArray PasswordMessage::encode() const {
    return MessageWriter::typed(type).cstring(password).finish();
}

Result<SaslInitialResponse> SaslInitialResponse::decode(QByteArrayView payload) {
    Cursor cursor(payload, "SASLInitialResponse");
    std::optional<QByteArray> mechanism = cursor.readCString("mechanism");
    if (!mechanism)
        return cursor.error();
    std::optional<std::optional<QByteArray>> initial = cursor.readNullableBytes("initial response");
    if (!initial || !cursor.expectEnd())
        return cursor.error();
    return SaslInitialResponse{std::move(*mechanism), std::move(*initial)};
}

QByteArray SaslInitialResponse::encode() const {
    return MessageWriter::typed(type).cstring(mechanism).nullableBytes(initialResponse).finish();
}

Result<SaslResponse> SaslResponse::decode(QByteArrayView payload) {
    return SaslResponse{payload.toByteArray()};
}

QByteArray SaslResponse::encode() const {
    return MessageWriter::typed(type).bytes(data).finish();
}

} // namespace hubsync::proxy::protocol
