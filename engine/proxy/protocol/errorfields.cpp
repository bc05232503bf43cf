#include "proxy/protocol/errorfields.h"

namespace hubsync::proxy::protocol {

ErrorFields ErrorFields::make(QByteArrayView severity, QByteArrayView sqlState, QByteArrayView message) {
    ErrorFields fields;
    fields.set(field::severity, severity)
        .set(field::severityNonLocalized, severity)
        .set(field::sqlState, sqlState)
        .set(field::message, message);
    return fields;
}

bool ErrorFields::contains(char code) const {
    for (const Field &entry : m_fields) {
        if (entry.first == code)
            return true;
    }
    return false;
}

QByteArray ErrorFields::value(char code) const {
    for (const Field &entry : m_fields) {
        if (entry.first == code)
            return entry.second;
    }
    return {};
}

ErrorFields &ErrorFields::set(char code, QByteArrayView value) {
    Q_ASSERT(code != '\0');
    for (Field &entry : m_fields) {
        if (entry.first == code) {
            entry.second = value.toByteArray();
            return *this;
        }
    }
    m_fields.append({code, value.toByteArray()});
    return *this;
}

Result<ErrorFields> ErrorFields::decode(QByteArrayView payload, const char *messageName) {
    Cursor cursor(payload, messageName);
    ErrorFields fields;
    while (true) {
        const std::optional<quint8> code = cursor.readByte("field code");
        if (!code)
            return cursor.fail(
                QStringLiteral("%1: field list is not closed by a 0 byte").arg(QLatin1StringView(messageName)));
        if (*code == 0)
            break;
        std::optional<QByteArray> value = cursor.readCString("field value");
        if (!value)
            return cursor.error();
        fields.m_fields.append({static_cast<char>(*code), std::move(*value)});
    }
    if (!cursor.expectEnd())
        return cursor.error();
    return fields;
}

void ErrorFields::encodeInto(MessageWriter &writer) const {
    for (const auto &[code, value] : m_fields)
        writer.byte(static_cast<quint8>(code)).cstring(value);
    writer.byte(0);
}

Result<ErrorResponse> ErrorResponse::decode(QByteArrayView payload) {
    Result<ErrorFields> fields = ErrorFields::decode(payload, "ErrorResponse");
    if (!fields)
        return DecodeError{fields.error()};
    return ErrorResponse{std::move(fields).value()};
}

QByteArray ErrorResponse::encode() const {
    MessageWriter writer = MessageWriter::typed(type);
    fields.encodeInto(writer);
    return writer.finish();
}

Result<NoticeResponse> NoticeResponse::decode(QByteArrayView payload) {
    Result<ErrorFields> fields = ErrorFields::decode(payload, "NoticeResponse");
    if (!fields)
        return DecodeError{fields.error()};
    return NoticeResponse{std::move(fields).value()};
}

QByteArray NoticeResponse::encode() const {
    MessageWriter writer = MessageWriter::typed(type);
    fields.encodeInto(writer);
    return writer.finish();
}

} // namespace hubsync::proxy::protocol
