#include "proxy/protocol/messages_frontend.h"

namespace hubsync::proxy::protocol {

namespace {

// A list of Int16 format codes preceded by its Int16 count.
std::optional<QList<qint16>> readFormats(Cursor &cursor, const char *what) {
    const std::optional<qsizetype> count = cursor.readCount16(what, 2);
    if (!count)
        return std::nullopt;
    QList<qint16> formats;
    formats.reserve(*count);
    for (qsizetype i = 0; i < *count; ++i) {
        const std::optional<qint16> format = cursor.readInt16("format code");
        if (!format)
            return std::nullopt;
        formats.append(*format);
    }
    return formats;
}

void writeFormats(MessageWriter &writer, const QList<qint16> &formats) {
    writer.count16(formats.size());
    for (const qint16 format : formats)
        writer.int16(format);
}

std::optional<ObjectKind> readObjectKind(Cursor &cursor, const char *messageName) {
    const std::optional<quint8> byte = cursor.readByte("statement/portal selector");
    if (!byte)
        return std::nullopt;
    if (*byte != 'S' && *byte != 'P') {
        // Postgres answers "invalid DESCRIBE/CLOSE message subtype"; so do we, before forwarding.
        cursor.fail(QStringLiteral("%1: selector %2 is neither 'S' (statement) nor 'P' (portal)")
                        .arg(QLatin1StringView(messageName), describeType(static_cast<char>(*byte))));
        return std::nullopt;
    }
    return static_cast<ObjectKind>(*byte);
}

// Describe and Close have the same layout.
template <typename Message>
Result<Message> decodeNamedObject(QByteArrayView payload, const char *messageName) {
    Cursor cursor(payload, messageName);
    const std::optional<ObjectKind> kind = readObjectKind(cursor, messageName);
    if (!kind)
        return cursor.error();
    std::optional<QByteArray> name = cursor.readCString("name");
    if (!name || !cursor.expectEnd())
        return cursor.error();
    Message message;
    message.kind = *kind;
    message.name = std::move(*name);
    return message;
}

} // namespace

Result<Query> Query::decode(QByteArrayView payload) {
    Cursor cursor(payload, "Query");
    std::optional<QByteArray> sql = cursor.readCString("query string");
    if (!sql || !cursor.expectEnd())
        return cursor.error();
    return Query{std::move(*sql)};
}

QByteArray Query::encode() const {
    return MessageWriter::typed(type).cstring(sql).finish();
}

Result<Parse> Parse::decode(QByteArrayView payload) {
    Cursor cursor(payload, "Parse");
    Parse message;
    std::optional<QByteArray> statement = cursor.readCString("statement name");
    std::optional<QByteArray> sql = cursor.readCString("query string");
    const std::optional<qsizetype> count = cursor.readCount16("parameter type count", 4);
    if (!statement || !sql || !count)
        return cursor.error();
    message.statement = std::move(*statement);
    message.sql = std::move(*sql);
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

QByteArray Parse::encode() const {
    MessageWriter writer = MessageWriter::typed(type);
    writer.cstring(statement).cstring(sql).count16(parameterTypes.size());
    for (const qint32 oid : parameterTypes)
        writer.int32(oid);
    return writer.finish();
}

Result<Bind> Bind::decode(QByteArrayView payload) {
    Cursor cursor(payload, "Bind");
    Bind message;
    std::optional<QByteArray> portal = cursor.readCString("portal name");
    std::optional<QByteArray> statement = cursor.readCString("statement name");
    std::optional<QList<qint16>> parameterFormats = readFormats(cursor, "parameter format count");
    // Every parameter costs at least its 4-byte length word.
    const std::optional<qsizetype> count = cursor.readCount16("parameter count", 4);
    if (!portal || !statement || !parameterFormats || !count)
        return cursor.error();
    message.portal = std::move(*portal);
    message.statement = std::move(*statement);
    message.parameterFormats = std::move(*parameterFormats);
    message.parameters.reserve(*count);
    for (qsizetype i = 0; i < *count; ++i) {
        std::optional<std::optional<QByteArray>> value = cursor.readNullableBytes("parameter value");
        if (!value)
            return cursor.error();
        message.parameters.append(std::move(*value));
    }
    std::optional<QList<qint16>> resultFormats = readFormats(cursor, "result format count");
    if (!resultFormats || !cursor.expectEnd())
        return cursor.error();
    message.resultFormats = std::move(*resultFormats);
    return message;
}

Result<BindNames> BindNames::decode(QByteArrayView payload) {
    Cursor cursor(payload, "Bind");
    const auto skipFormats = [&cursor](const char *what) {
        const std::optional<qsizetype> count = cursor.readCount16(what, 2);
        return count && cursor.skip(*count * 2, "format code");
    };
    const std::optional<QByteArrayView> portal = cursor.readCStringView("portal name");
    const std::optional<QByteArrayView> statement = cursor.readCStringView("statement name");
    if (!portal || !statement || !skipFormats("parameter format count"))
        return cursor.error();
    const std::optional<qsizetype> count = cursor.readCount16("parameter count", 4);
    if (!count)
        return cursor.error();
    for (qsizetype i = 0; i < *count; ++i) {
        if (!cursor.skipNullableBytes("parameter value"))
            return cursor.error();
    }
    if (!skipFormats("result format count") || !cursor.expectEnd())
        return cursor.error();
    return BindNames{*portal, *statement};
}

QByteArray Bind::encode() const {
    MessageWriter writer = MessageWriter::typed(type);
    writer.cstring(portal).cstring(statement);
    writeFormats(writer, parameterFormats);
    writer.count16(parameters.size());
    for (const std::optional<QByteArray> &value : parameters)
        writer.nullableBytes(value);
    writeFormats(writer, resultFormats);
    return writer.finish();
}

Result<Describe> Describe::decode(QByteArrayView payload) {
    return decodeNamedObject<Describe>(payload, "Describe");
}

QByteArray Describe::encode() const {
    return MessageWriter::typed(type).byte(static_cast<quint8>(kind)).cstring(name).finish();
}

Result<Execute> Execute::decode(QByteArrayView payload) {
    Cursor cursor(payload, "Execute");
    std::optional<QByteArray> portal = cursor.readCString("portal name");
    const std::optional<qint32> maxRows = cursor.readInt32("row limit");
    if (!portal || !maxRows || !cursor.expectEnd())
        return cursor.error();
    return Execute{std::move(*portal), *maxRows};
}

QByteArray Execute::encode() const {
    return MessageWriter::typed(type).cstring(portal).int32(maxRows).finish();
}

Result<Close> Close::decode(QByteArrayView payload) {
    return decodeNamedObject<Close>(payload, "Close");
}

QByteArray Close::encode() const {
    return MessageWriter::typed(type).byte(static_cast<quint8>(kind)).cstring(name).finish();
}

} // namespace hubsync::proxy::protocol
