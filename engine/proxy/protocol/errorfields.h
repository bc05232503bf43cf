#pragma once

// ErrorResponse ('E') and NoticeResponse ('N'): a list of (field code, string) pairs closed by a 0 byte.
// The proxy both relays them and builds its own (write-through refusals with SQLSTATE, DETAIL, HINT).

#include "proxy/protocol/wire.h"

#include <QByteArray>
#include <QList>

#include <utility>

namespace hubsync::proxy::protocol {

// Field codes from protocol-error-fields.html. Clients must ignore codes they do not know, so any
// non-zero byte is accepted and kept.
namespace field {
constexpr char severity = 'S';             // localized: ERROR, FATAL, WARNING, NOTICE, ...
constexpr char severityNonLocalized = 'V'; // the same, never translated (9.6+)
constexpr char sqlState = 'C';             // always present
constexpr char message = 'M';              // always present
constexpr char detail = 'D';
constexpr char hint = 'H';
constexpr char position = 'P'; // 1-based character index into the client's query string
constexpr char internalPosition = 'p';
constexpr char internalQuery = 'q';
constexpr char where = 'W';
constexpr char schemaName = 's';
constexpr char tableName = 't';
constexpr char columnName = 'c';
constexpr char dataTypeName = 'd';
constexpr char constraintName = 'n';
constexpr char file = 'F';
constexpr char line = 'L';
constexpr char routine = 'R';
} // namespace field

// Fields in wire order. A list rather than a map so that a relayed message re-encodes byte for byte;
// Postgres sends each code at most once, and lookups return the first occurrence.
class ErrorFields final {
public:
    using Field = std::pair<char, QByteArray>;

    ErrorFields() = default;
    // The minimum a server must send: S and V set to `severity`, C, M.
    static ErrorFields make(QByteArrayView severity, QByteArrayView sqlState, QByteArrayView message);

    [[nodiscard]] bool contains(char code) const;
    // The first value for `code`, or a null QByteArray.
    [[nodiscard]] QByteArray value(char code) const;
    // Replaces the first value for `code`, or appends. Precondition: code != 0, no NUL in value.
    ErrorFields &set(char code, QByteArrayView value);

    [[nodiscard]] QByteArray severity() const { return value(field::severity); }
    [[nodiscard]] QByteArray sqlState() const { return value(field::sqlState); }
    [[nodiscard]] QByteArray message() const { return value(field::message); }

    [[nodiscard]] const QList<Field> &fields() const { return m_fields; }
    [[nodiscard]] bool isEmpty() const { return m_fields.isEmpty(); }

    static Result<ErrorFields> decode(QByteArrayView payload, const char *messageName);
    void encodeInto(MessageWriter &writer) const;

    friend bool operator==(const ErrorFields &, const ErrorFields &) = default;

private:
    QList<Field> m_fields;
};

struct ErrorResponse final {
    static constexpr char type = 'E';

    ErrorFields fields;

    static Result<ErrorResponse> decode(QByteArrayView payload);
    [[nodiscard]] QByteArray encode() const;

    friend bool operator==(const ErrorResponse &, const ErrorResponse &) = default;
};

// Same layout; write-through uses it to warn that a GitHub change escapes a later ROLLBACK.
struct NoticeResponse final {
    static constexpr char type = 'N';

    ErrorFields fields;

    static Result<NoticeResponse> decode(QByteArrayView payload);
    [[nodiscard]] QByteArray encode() const;

    friend bool operator==(const NoticeResponse &, const NoticeResponse &) = default;
};

} // namespace hubsync::proxy::protocol
