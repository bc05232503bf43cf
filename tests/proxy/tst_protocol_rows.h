#pragma once

// Test data for tst_protocol: one row per message shape, hand-written wire bytes and hostile inputs. Kept
// apart from the test bodies so each file stays readable.

#include "protocol_decoders.h"

#include <QMetaType>

#include <functional>

namespace hubsync::proxy::protocol::testing {

// Decodes one payload; returns what is wrong, or an empty string. `wire` is the whole expected message.
using Checker = std::function<QString(QByteArrayView payload, const QByteArray &wire)>;

// QByteArray::fromHex skips spaces, so hand-written bytes can be grouped by field.
QByteArray hex(const char *text);
// What psql 15 sends for `psql -U postgres -d postgres`.
StartupMessage psqlStartup();
ErrorFields divisionByZero();

// Columns: wire (QByteArray), untyped (bool), check (Checker).
void addMessageRows();
void addWireByteRows();
// Columns: bytes (QByteArray), startup (bool), maxMessageLength (int), error (QString).
void addFramingErrorRows();
// Columns: decoder (QString, a Decoder name), payload (QByteArray), error (QString).
void addDecodeErrorRows();

} // namespace hubsync::proxy::protocol::testing

Q_DECLARE_METATYPE(hubsync::proxy::protocol::testing::Checker)
