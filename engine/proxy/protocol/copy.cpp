#include "proxy/protocol/copy.h"

namespace hubsync::proxy::protocol {

QByteArray CopyData::encode() const {
    return MessageWriter::typed(type).bytes(data).finish();
}

Result<CopyFail> CopyFail::decode(QByteArrayView payload) {
    Cursor cursor(payload, "CopyFail");
    std::optional<QByteArray> reason = cursor.readCString("error message");
    if (!reason || !cursor.expectEnd())
        return cursor.error();
    return CopyFail{std::move(*reason)};
}

QByteArray CopyFail::encode() const {
    return MessageWriter::typed(type).cstring(reason).finish();
}

namespace detail {

namespace {

const char *copyResponseName(char type) {
    switch (type) {
    case 'G':
        return "CopyInResponse";
    case 'H':
        return "CopyOutResponse";
    default:
        return "CopyBothResponse";
    }
}

} // namespace

Result<CopyResponseFields> decodeCopyResponse(QByteArrayView payload, char type) {
    Cursor cursor(payload, copyResponseName(type));
    const std::optional<quint8> overall = cursor.readByte("overall format");
    const std::optional<qsizetype> count = cursor.readCount16("column count", 2);
    if (!overall || !count)
        return cursor.error();
    CopyResponseFields fields;
    fields.overallFormat = static_cast<qint8>(*overall);
    fields.columnFormats.reserve(*count);
    for (qsizetype i = 0; i < *count; ++i) {
        const std::optional<qint16> format = cursor.readInt16("column format");
        if (!format)
            return cursor.error();
        fields.columnFormats.append(*format);
    }
    if (!cursor.expectEnd())
        return cursor.error();
    return fields;
}

QByteArray encodeCopyResponse(const CopyResponseFields &fields, char type) {
    MessageWriter writer = MessageWriter::typed(type);
    writer.byte(static_cast<quint8>(fields.overallFormat)).count16(fields.columnFormats.size());
    for (const qint16 format : fields.columnFormats)
        writer.int16(format);
    return writer.finish();
}

} // namespace detail

} // namespace hubsync::proxy::protocol
