#pragma once

// Server-to-client messages of protocol v3 other than authentication, COPY and errors (see auth.h,
// copy.h, errorfields.h): session parameters, keys, transaction status, result sets and completions.

#include "proxy/protocol/wire.h"

#include <QByteArray>
#include <QList>

#include <optional>

namespace hubsync::proxy::protocol {

// 'S' (backend): a run-time parameter such as server_version or client_encoding.
struct ParameterStatus final {
    static constexpr char type = 'S';

    QByteArray name;
    QByteArray value;

    static Result<ParameterStatus> decode(QByteArrayView payload);
    [[nodiscard]] QByteArray encode() const;

    friend bool operator==(const ParameterStatus &, const ParameterStatus &) = default;
};

// 'K': the keys a client needs for CancelRequest. The proxy sends its own and maps them to upstream's.
struct BackendKeyData final {
    static constexpr char type = 'K';

    qint32 processId = 0;
    QByteArray secretKey; // 4 bytes in protocol 3.0, up to 256 in 3.2

    static Result<BackendKeyData> decode(QByteArrayView payload);
    [[nodiscard]] QByteArray encode() const;

    friend bool operator==(const BackendKeyData &, const BackendKeyData &) = default;
};

// The session decides between BEGIN and SAVEPOINT from this.
enum class TransactionStatus : char { Idle = 'I', InTransaction = 'T', Failed = 'E' };

// 'Z': the server is ready for the next command.
struct ReadyForQuery final {
    static constexpr char type = 'Z';

    TransactionStatus status = TransactionStatus::Idle;

    static Result<ReadyForQuery> decode(QByteArrayView payload);
    [[nodiscard]] QByteArray encode() const;

    friend bool operator==(const ReadyForQuery &, const ReadyForQuery &) = default;
};

// One column of a RowDescription.
struct FieldDescription final {
    QByteArray name;
    qint32 tableOid = 0;     // 0 when the column is not a plain table column
    qint16 columnNumber = 0; // attribute number within that table, else 0
    qint32 typeOid = 0;
    qint16 typeSize = 0; // pg_type.typlen: negative for variable-width types
    qint32 typeModifier = -1;
    qint16 format = 0; // 0 text, 1 binary; always 0 in a Describe answer

    friend bool operator==(const FieldDescription &, const FieldDescription &) = default;
};

// 'T': the shape of the rows that follow.
struct RowDescription final {
    static constexpr char type = 'T';

    QList<FieldDescription> fields;

    static Result<RowDescription> decode(QByteArrayView payload);
    [[nodiscard]] QByteArray encode() const;

    friend bool operator==(const RowDescription &, const RowDescription &) = default;
};

// 'D' (backend): one row; nullopt is SQL NULL (length -1 on the wire).
struct DataRow final {
    static constexpr char type = 'D';

    QList<std::optional<QByteArray>> values;

    static Result<DataRow> decode(QByteArrayView payload);
    [[nodiscard]] QByteArray encode() const;

    friend bool operator==(const DataRow &, const DataRow &) = default;
};

// 'C' (backend): e.g. "UPDATE 3", "INSERT 0 1", "SELECT 5". Write-through rewrites the count.
struct CommandComplete final {
    static constexpr char type = 'C';

    QByteArray tag;

    static Result<CommandComplete> decode(QByteArrayView payload);
    [[nodiscard]] QByteArray encode() const;

    friend bool operator==(const CommandComplete &, const CommandComplete &) = default;
};

// 't': parameter type OIDs of a prepared statement (answer to Describe 'S').
struct ParameterDescription final {
    static constexpr char type = 't';

    QList<qint32> parameterTypes;

    static Result<ParameterDescription> decode(QByteArrayView payload);
    [[nodiscard]] QByteArray encode() const;

    friend bool operator==(const ParameterDescription &, const ParameterDescription &) = default;
};

// 'A': a NOTIFY delivered to this session.
struct NotificationResponse final {
    static constexpr char type = 'A';

    qint32 processId = 0; // of the notifying backend
    QByteArray channel;
    QByteArray payload;

    static Result<NotificationResponse> decode(QByteArrayView payload);
    [[nodiscard]] QByteArray encode() const;

    friend bool operator==(const NotificationResponse &, const NotificationResponse &) = default;
};

// 'v': the server speaks an older minor version than the client asked for, or ignored some _pq_ options.
// Not in the brief's list, but a PG 18 client talking 3.2 to a 3.0 server gets one, and the proxy relays it.
struct NegotiateProtocolVersion final {
    static constexpr char type = 'v';

    qint32 newestMinorVersion = 0;
    QList<QByteArray> unrecognizedOptions;

    static Result<NegotiateProtocolVersion> decode(QByteArrayView payload);
    [[nodiscard]] QByteArray encode() const;

    friend bool operator==(const NegotiateProtocolVersion &, const NegotiateProtocolVersion &) = default;
};

// Completions without content.
using EmptyQueryResponse = EmptyMessage<'I'>;
using ParseComplete = EmptyMessage<'1'>;
using BindComplete = EmptyMessage<'2'>;
using CloseComplete = EmptyMessage<'3'>;
using NoData = EmptyMessage<'n'>;
using PortalSuspended = EmptyMessage<'s'>;

} // namespace hubsync::proxy::protocol
