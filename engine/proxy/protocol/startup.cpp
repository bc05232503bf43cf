#include "proxy/protocol/startup.h"

namespace hubsync::proxy::protocol {

namespace {

// The fixed-size requests are exactly their code, nothing else.
Result<bool> expectBareCode(QByteArrayView payload, qint32 code, const char *name) {
    Cursor cursor(payload, name);
    const std::optional<qint32> read = cursor.readInt32("request code");
    if (!read)
        return cursor.error();
    if (*read != code)
        return cursor.fail(
            QStringLiteral("%1: request code %2 is not %3").arg(QLatin1StringView(name)).arg(*read).arg(code));
    if (!cursor.expectEnd())
        return cursor.error();
    return true;
}

} // namespace

QByteArray StartupMessage::value(QByteArrayView name) const {
    for (const auto &[key, value] : parameters) {
        if (key == name)
            return value;
    }
    return {};
}

Result<StartupMessage> StartupMessage::decode(QByteArrayView payload) {
    Cursor cursor(payload, "StartupMessage");
    StartupMessage message;
    const std::optional<qint32> version = cursor.readInt32("protocol version");
    if (!version)
        return cursor.error();
    message.protocolVersion = *version;
    if (message.majorVersion() != 3)
        return cursor.fail(QStringLiteral("StartupMessage: unsupported frontend protocol %1.%2 (only 3.x is "
                                          "spoken)")
                               .arg(message.majorVersion())
                               .arg(message.minorVersion()));
    // name\0value\0 pairs, closed by an empty name; Postgres insists that the closing NUL is the last byte.
    while (true) {
        std::optional<QByteArray> name = cursor.readCString("parameter name");
        if (!name)
            return cursor.fail(QStringLiteral("StartupMessage: parameter list is not closed by a NUL byte"));
        if (name->isEmpty())
            break;
        std::optional<QByteArray> value = cursor.readCString("parameter value");
        if (!value)
            return cursor.fail(
                QStringLiteral("StartupMessage: parameter \"%1\" has no value").arg(QString::fromUtf8(*name)));
        message.parameters.append({std::move(*name), std::move(*value)});
    }
    if (!cursor.expectEnd())
        return cursor.error();
    return message;
}

QByteArray StartupMessage::encode() const {
    MessageWriter writer = MessageWriter::untyped();
    writer.int32(protocolVersion);
    for (const auto &[name, value] : parameters)
        writer.cstring(name).cstring(value);
    writer.byte(0);
    return writer.finish();
}

Result<SslRequest> SslRequest::decode(QByteArrayView payload) {
    Result<bool> checked = expectBareCode(payload, sslRequestCode, "SSLRequest");
    if (!checked)
        return DecodeError{checked.error()};
    return SslRequest{};
}

QByteArray SslRequest::encode() const {
    return MessageWriter::untyped().int32(sslRequestCode).finish();
}

Result<GssEncRequest> GssEncRequest::decode(QByteArrayView payload) {
    Result<bool> checked = expectBareCode(payload, gssEncRequestCode, "GSSENCRequest");
    if (!checked)
        return DecodeError{checked.error()};
    return GssEncRequest{};
}

QByteArray GssEncRequest::encode() const {
    return MessageWriter::untyped().int32(gssEncRequestCode).finish();
}

Result<CancelRequest> CancelRequest::decode(QByteArrayView payload) {
    Cursor cursor(payload, "CancelRequest");
    const std::optional<qint32> code = cursor.readInt32("request code");
    const std::optional<qint32> processId = cursor.readInt32("process ID");
    if (!code || !processId)
        return cursor.error();
    if (*code != cancelRequestCode)
        return cursor.fail(
            QStringLiteral("CancelRequest: request code %1 is not %2").arg(*code).arg(cancelRequestCode));
    if (cursor.remaining() < minCancelKeyLength || cursor.remaining() > maxCancelKeyLength)
        return cursor.fail(QStringLiteral("CancelRequest: secret key of %1 bytes (must be %2 to %3)")
                               .arg(cursor.remaining())
                               .arg(minCancelKeyLength)
                               .arg(maxCancelKeyLength));
    CancelRequest request;
    request.processId = *processId;
    request.secretKey = cursor.readRest();
    return request;
}

QByteArray CancelRequest::encode() const {
    return MessageWriter::untyped().int32(cancelRequestCode).int32(processId).bytes(secretKey).finish();
}

Result<StartupPacket> decodeStartupPacket(QByteArrayView payload) {
    Cursor cursor(payload, "startup packet");
    const std::optional<qint32> code = cursor.readInt32("protocol version or request code");
    if (!code)
        return cursor.error();
    // Each alternative converts the specific Result into the variant one, error text included.
    const auto lift = [](auto result) -> Result<StartupPacket> {
        if (!result)
            return DecodeError{result.error()};
        return StartupPacket(std::move(result).value());
    };
    switch (*code) {
    case sslRequestCode:
        return lift(SslRequest::decode(payload));
    case gssEncRequestCode:
        return lift(GssEncRequest::decode(payload));
    case cancelRequestCode:
        return lift(CancelRequest::decode(payload));
    default:
        return lift(StartupMessage::decode(payload));
    }
}

QByteArray encodeStartupPacket(const StartupPacket &packet) {
    return std::visit([](const auto &message) { return message.encode(); }, packet);
}

} // namespace hubsync::proxy::protocol
