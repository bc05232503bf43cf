#include "proxy/protocol/messages_backend.h"

#include "proxy/protocol/startup.h"

#include <limits>

namespace hubsync::proxy::protocol {

namespace {

// Bytes per RowDescription field besides its name: table OID, column, type OID, size, modifier, format.
constexpr qsizetype fixedFieldBytes = 4 + 2 + 4 + 2 + 4 + 2;

} // namespace

Result<ParameterStatus> ParameterStatus::decode(QByteArrayView payload) {
    Cursor cursor(payload, "ParameterStatus");
    std::optional<QByteArray> name = cursor.readCString("parameter name");
    std::optional<QByteArray> value = cursor.readCString("parameter value");
    if (!name || !value || !cursor.expectEnd())
        return cursor.error();
    return ParameterStatus{std::move(*name), std::move(*value)};
}

QByteArray ParameterStatus::encode() const {
    return MessageWriter::typed(type).cstring(name).cstring(value).finish();
}

Result<BackendKeyData> BackendKeyData::decode(QByteArrayView payload) {
    Cursor cursor(payload, "BackendKeyData");
    const std::optional<qint32> processId = cursor.readInt32("process ID");
    if (!processId)
        return cursor.error();
    if (cursor.remaining() < minCancelKeyLength || cursor.remaining() > maxCancelKeyLength)
        return cursor.fail(QStringLiteral("BackendKeyData: secret key of %1 bytes (must be %2 to %3)")
                               .arg(cursor.remaining())
                               .arg(minCancelKeyLength)
                               .arg(maxCancelKeyLength));
    return BackendKeyData{*processId, cursor.readRest()};
}

QByteArray BackendKeyData::encode() const {
    return MessageWriter::typed(type).int32(processId).bytes(secretKey).finish();
}

Result<ReadyForQuery> ReadyForQuery::decode(QByteArrayView payload) {
    Cursor cursor(payload, "ReadyForQuery");
    const std::optional<quint8> status = cursor.readByte("transaction status");
    if (!status || !cursor.expectEnd())
        return cursor.error();
    // Validated because the session's BEGIN-versus-SAVEPOINT choice depends on it.
    if (*status != 'I' && *status != 'T' && *status != 'E')
        return cursor.fail(QStringLiteral("ReadyForQuery: transaction status %1 is not 'I', 'T' or 'E'")
                               .arg(describeType(static_cast<char>(*status))));
    return ReadyForQuery{static_cast<TransactionStatus>(*status)};
}

QByteArray ReadyForQuery::encode() const {
    return MessageWriter::typed(type).byte(static_cast<quint8>(status)).finish();
}

Result<RowDescription> RowDescription::decode(QByteArrayView payload) {
    Cursor cursor(payload, "RowDescription");
    // A field is at least an empty name's NUL plus the fixed part.
    const std::optional<qsizetype> count = cursor.readCount16("field count", 1 + fixedFieldBytes);
    if (!count)
        return cursor.error();
    RowDescription message;
    message.fields.reserve(*count);
    for (qsizetype i = 0; i < *count; ++i) {
        std::optional<QByteArray> name = cursor.readCString("field name");
        const std::optional<qint32> tableOid = cursor.readInt32("table OID");
        const std::optional<qint16> columnNumber = cursor.readInt16("column number");
        const std::optional<qint32> typeOid = cursor.readInt32("type OID");
        const std::optional<qint16> typeSize = cursor.readInt16("type size");
        const std::optional<qint32> typeModifier = cursor.readInt32("type modifier");
        const std::optional<qint16> format = cursor.readInt16("format code");
        if (!name || !tableOid || !columnNumber || !typeOid || !typeSize || !typeModifier || !format)
            return cursor.error();
        message.fields.append(
            FieldDescription{std::move(*name), *tableOid, *columnNumber, *typeOid, *typeSize, *typeModifier, *format});
    }
    if (!cursor.expectEnd())
        return cursor.error();
    return message;
}

QByteArray RowDescription::encode() const {
    MessageWriter writer = MessageWriter::typed(type);
    writer.count16(fields.size());
    for (const FieldDescription &field : fields) {
        writer.cstring(field.name)
            .int32(field.tableOid)
            .int16(field.columnNumber)
            .int32(field.typeOid)
            .int16(field.typeSize)
            .int32(field.typeModifier)
            .int16(field.format);
    }
    return writer.finish();
}

Result<DataRow> DataRow::decode(QByteArrayView payload) {
    Cursor cursor(payload, "DataRow");
    // Every column costs at least its 4-byte length word.
    const std::optional<qsizetype> count = cursor.readCount16("column count", 4);
    if (!count)
        return cursor.error();
    DataRow message;
    message.values.reserve(*count);
    for (qsizetype i = 0; i < *count; ++i) {
        std::optional<std::optional<QByteArray>> value = cursor.readNullableBytes("column value");
        if (!value)
            return cursor.error();
        message.values.append(std::move(*value));
    }
    if (!cursor.expectEnd())
        return cursor.error();
    return message;
}

QByteArray DataRow::encode() const {
    MessageWriter writer = MessageWriter::typed(type);
    writer.count16(values.size());
    for (const std::optional<QByteArray> &value : values)
        writer.nullableBytes(value);
    return writer.finish();
}

Result<CommandComplete> CommandComplete::decode(QByteArrayView payload) {
    Cursor cursor(payload, "CommandComplete");
    std::optional<QByteArray> tag = cursor.readCString("command tag");
    if (!tag || !cursor.expectEnd())
        return cursor.error();
    return CommandComplete{std::move(*tag)};
}

QByteArray CommandComplete::encode() const {
    return MessageWriter::typed(type).cstring(tag).finish();
}

Result<ParameterDescription> ParameterDescription::decode(QByteArrayView payload) {
    Cursor cursor(payload, "ParameterDescription");
    const std::optional<qsizetype> count = cursor.readCount16("parameter count", 4);
    if (!count)
        return cursor.error();
    ParameterDescription message;
    message.parameterTypes.reserve(*count);
    for (qsizetype i = 0; i < *count; ++i) {
        const std::optional<qint32> oid = cursor.readInt32("parameter type OID");
        if (!oid)
            return cursor.error();
        message.parameterTypes.append(*oid);
    }
    if (!cursor.expectEnd())
        return cursor.error();
    return message;
}

QByteArray ParameterDescription::encode() const {
    MessageWriter writer = MessageWriter::typed(type);
    writer.count16(parameterTypes.size());
    for (const qint32 oid : parameterTypes)
        writer.int32(oid);
    return writer.finish();
}

Result<NotificationResponse> NotificationResponse::decode(QByteArrayView payload) {
    Cursor cursor(payload, "NotificationResponse");
    const std::optional<qint32> processId = cursor.readInt32("process ID");
    std::optional<QByteArray> channel = cursor.readCString("channel");
    std::optional<QByteArray> text = cursor.readCString("payload");
    if (!processId || !channel || !text || !cursor.expectEnd())
        return cursor.error();
    return NotificationResponse{*processId, std::move(*channel), std::move(*text)};
}

QByteArray NotificationResponse::encode() const {
    return MessageWriter::typed(type).int32(processId).cstring(channel).cstring(payload).finish();
}

Result<NegotiateProtocolVersion> NegotiateProtocolVersion::decode(QByteArrayView payload) {
    Cursor cursor(payload, "NegotiateProtocolVersion");
    const std::optional<qint32> minor = cursor.readInt32("newest minor version");
    const std::optional<qint32> count = cursor.readInt32("option count");
    if (!minor || !count)
        return cursor.error();
    // An Int32 count, unlike the Int16 ones, can be negative; each option needs at least its NUL.
    if (*count < 0 || *count > cursor.remaining())
        return cursor.fail(QStringLiteral("NegotiateProtocolVersion: option count %1 does not fit the %2 bytes "
                                          "that remain")
                               .arg(*count)
                               .arg(cursor.remaining()));
    NegotiateProtocolVersion message;
    message.newestMinorVersion = *minor;
    message.unrecognizedOptions.reserve(*count);
    for (qint32 i = 0; i < *count; ++i) {
        std::optional<QByteArray> option = cursor.readCString("option name");
        if (!option)
            return cursor.error();
        message.unrecognizedOptions.append(std::move(*option));
    }
    if (!cursor.expectEnd())
        return cursor.error();
    return message;
}

QByteArray NegotiateProtocolVersion::encode() const {
    MessageWriter writer = MessageWriter::typed(type);
    writer.int32(newestMinorVersion);
    Q_ASSERT(unrecognizedOptions.size() <= std::numeric_limits<qint32>::max());
    writer.int32(static_cast<qint32>(unrecognizedOptions.size()));
    for (const QByteArray &option : unrecognizedOptions)
        writer.cstring(option);
    return writer.finish();
}

} // namespace hubsync::proxy::protocol
