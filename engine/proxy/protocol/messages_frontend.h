#pragma once

// Client-to-server query messages of protocol v3: the simple Query and the extended-protocol family
// (Parse, Bind, Describe, Execute, Close, Sync, Flush), plus Terminate. Strings stay QByteArray: they are
// in the client's encoding, and the proxy must forward them unchanged.

#include "proxy/protocol/wire.h"

#include <QByteArray>
#include <QList>

#include <optional>

namespace hubsync::proxy::protocol {

// 'Q': one string that may hold several statements.
struct Query final {
    static constexpr char type = 'Q';

    QByteArray sql;

    static Result<Query> decode(QByteArrayView payload);
    [[nodiscard]] QByteArray encode() const;

    friend bool operator==(const Query &, const Query &) = default;
};

// 'P': prepares `sql` as `statement` ("" is the unnamed statement).
struct Parse final {
    static constexpr char type = 'P';

    QByteArray statement;
    QByteArray sql;
    QList<qint32> parameterTypes; // type OIDs; 0 leaves a parameter's type to the server

    static Result<Parse> decode(QByteArrayView payload);
    [[nodiscard]] QByteArray encode() const;

    friend bool operator==(const Parse &, const Parse &) = default;
};

// 'B': binds parameter values to a prepared statement, creating `portal` ("" is the unnamed portal).
struct Bind final {
    static constexpr char type = 'B';

    QByteArray portal;
    QByteArray statement;
    // Format codes (0 text, 1 binary). Empty means all text; one entry applies to every parameter/column.
    QList<qint16> parameterFormats;
    QList<std::optional<QByteArray>> parameters; // nullopt = SQL NULL (length -1 on the wire)
    QList<qint16> resultFormats;

    static Result<Bind> decode(QByteArrayView payload);
    [[nodiscard]] QByteArray encode() const;

    friend bool operator==(const Bind &, const Bind &) = default;
};

// A Bind checked as strictly as Bind::decode(), keeping only what the relay needs: the names, as views into
// the payload (valid while it is). No copy of the parameters, which a proxy that only routes the message
// never reads.
struct BindNames final {
    QByteArrayView portal;
    QByteArrayView statement;

    static Result<BindNames> decode(QByteArrayView payload);
};

// Describe and Close name either a prepared statement or a portal.
enum class ObjectKind : char { Statement = 'S', Portal = 'P' };

// 'D' (frontend): asks for ParameterDescription/RowDescription of a statement or portal.
struct Describe final {
    static constexpr char type = 'D';

    ObjectKind kind = ObjectKind::Statement;
    QByteArray name;

    static Result<Describe> decode(QByteArrayView payload);
    [[nodiscard]] QByteArray encode() const;

    friend bool operator==(const Describe &, const Describe &) = default;
};

// 'E' (frontend): runs a portal; maxRows 0 means "no limit", otherwise PortalSuspended may follow.
struct Execute final {
    static constexpr char type = 'E';

    QByteArray portal;
    qint32 maxRows = 0;

    static Result<Execute> decode(QByteArrayView payload);
    [[nodiscard]] QByteArray encode() const;

    friend bool operator==(const Execute &, const Execute &) = default;
};

// 'C' (frontend): drops a prepared statement or portal.
struct Close final {
    static constexpr char type = 'C';

    ObjectKind kind = ObjectKind::Statement;
    QByteArray name;

    static Result<Close> decode(QByteArrayView payload);
    [[nodiscard]] QByteArray encode() const;

    friend bool operator==(const Close &, const Close &) = default;
};

// Sync ends an extended-protocol pipeline (one ReadyForQuery per Sync); Flush asks for pending output.
using Sync = EmptyMessage<'S'>;
using Flush = EmptyMessage<'H'>;
using Terminate = EmptyMessage<'X'>;

} // namespace hubsync::proxy::protocol
