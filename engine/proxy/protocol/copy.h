#pragma once

// The COPY sub-protocol. CopyData and CopyDone flow in both directions (client to server for COPY FROM
// STDIN, server to client for COPY TO STDOUT); CopyFail only from the client. The server opens a copy with
// CopyInResponse, CopyOutResponse or CopyBothResponse (replication), which share one layout.

#include "proxy/protocol/wire.h"

#include <QByteArray>
#include <QList>

namespace hubsync::proxy::protocol {

// 'd': a chunk of COPY data; rows need not align with messages.
struct CopyData final {
    static constexpr char type = 'd';

    QByteArray data;

    static Result<CopyData> decode(QByteArrayView payload) { return CopyData{payload.toByteArray()}; }
    [[nodiscard]] QByteArray encode() const;

    friend bool operator==(const CopyData &, const CopyData &) = default;
};

using CopyDone = EmptyMessage<'c'>;

// 'f': the client aborts COPY FROM STDIN; the server answers with an ErrorResponse quoting `reason`.
struct CopyFail final {
    static constexpr char type = 'f';

    QByteArray reason;

    static Result<CopyFail> decode(QByteArrayView payload);
    [[nodiscard]] QByteArray encode() const;

    friend bool operator==(const CopyFail &, const CopyFail &) = default;
};

namespace detail {

struct CopyResponseFields final {
    qint8 overallFormat = 0;     // 0 text, 1 binary
    QList<qint16> columnFormats; // one per column; all 0 when overallFormat is 0

    friend bool operator==(const CopyResponseFields &, const CopyResponseFields &) = default;
};

Result<CopyResponseFields> decodeCopyResponse(QByteArrayView payload, char type);
QByteArray encodeCopyResponse(const CopyResponseFields &fields, char type);

} // namespace detail

// 'G', 'H', 'W': one layout, three meanings; the type byte tells the direction of the data that follows.
template <char Type>
struct CopyResponse final {
    static constexpr char type = Type;

    qint8 overallFormat = 0;
    QList<qint16> columnFormats;

    static Result<CopyResponse> decode(QByteArrayView payload) {
        Result<detail::CopyResponseFields> fields = detail::decodeCopyResponse(payload, Type);
        if (!fields)
            return DecodeError{fields.error()};
        return CopyResponse{fields->overallFormat, fields->columnFormats};
    }
    [[nodiscard]] QByteArray encode() const {
        return detail::encodeCopyResponse(detail::CopyResponseFields{overallFormat, columnFormats}, Type);
    }

    friend bool operator==(const CopyResponse &, const CopyResponse &) = default;
};

using CopyInResponse = CopyResponse<'G'>;
using CopyOutResponse = CopyResponse<'H'>;
using CopyBothResponse = CopyResponse<'W'>;

} // namespace hubsync::proxy::protocol
