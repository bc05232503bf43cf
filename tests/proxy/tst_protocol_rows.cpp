#include "tst_protocol_rows.h"

#include <QTest>

namespace hubsync::proxy::protocol::testing {

namespace {

template <typename Message>
QString compare(const Message &decoded, const Message &expected, const QByteArray &wire) {
    if (!(decoded == expected))
        return QStringLiteral("decoded value differs from the expected message");
    if (decoded.encode() != wire)
        return QStringLiteral("re-encoding differs from the wire bytes: %1")
            .arg(QString::fromLatin1(decoded.encode().toHex(' ')));
    return {};
}

template <typename Message>
Checker expect(Message expected) {
    return [expected = std::move(expected)](QByteArrayView payload, const QByteArray &wire) -> QString {
        const Result<Message> decoded = Message::decode(payload);
        if (!decoded)
            return QStringLiteral("decode failed: ") + decoded.error();
        return compare(*decoded, expected, wire);
    };
}

// Untyped packets go through decodeStartupPacket, as a session would see them.
template <typename Message>
Checker expectStartup(Message expected) {
    return [expected = std::move(expected)](QByteArrayView payload, const QByteArray &wire) -> QString {
        const Result<StartupPacket> decoded = decodeStartupPacket(payload);
        if (!decoded)
            return QStringLiteral("decode failed: ") + decoded.error();
        const Message *message = std::get_if<Message>(&*decoded);
        if (!message)
            return QStringLiteral("decoded as a different startup packet");
        return compare(*message, expected, wire);
    };
}

template <typename Message>
void addMessage(const char *name, const Message &message) {
    QTest::newRow(name) << message.encode() << false << expect(message);
}

template <typename Message>
void addStartup(const char *name, const Message &message) {
    QTest::newRow(name) << message.encode() << true << expectStartup(message);
}

} // namespace

QByteArray hex(const char *text) {
    return QByteArray::fromHex(text);
}

StartupMessage psqlStartup() {
    StartupMessage message;
    message.parameters = {{"user", "postgres"}, {"database", "postgres"}, {"application_name", "psql"}};
    return message;
}

ErrorFields divisionByZero() {
    ErrorFields fields = ErrorFields::make("ERROR", "22012", "division by zero");
    fields.set(field::file, "int.c").set(field::line, "841").set(field::routine, "int4div");
    return fields;
}

void addMessageRows() {
    QTest::addColumn<QByteArray>("wire");
    QTest::addColumn<bool>("untyped");
    QTest::addColumn<Checker>("check");

    // Startup phase (frontend, untyped).
    addStartup("StartupMessage psql", psqlStartup());
    addStartup("StartupMessage no parameters", StartupMessage{});
    addStartup("StartupMessage 3.2, empty value, duplicate",
               StartupMessage{makeProtocolVersion(3, 2), {{"user", "u"}, {"options", ""}, {"user", "v"}}});
    addStartup("SSLRequest", SslRequest{});
    addStartup("GSSENCRequest", GssEncRequest{});
    addStartup("CancelRequest 3.0", CancelRequest{4242, hex("deadbeef")});
    addStartup("CancelRequest 3.2 key", CancelRequest{-1, QByteArray(32, '\x5a')});

    // Authentication.
    addMessage("AuthenticationOk", Authentication::ok());
    addMessage("AuthenticationCleartextPassword", Authentication::cleartextPassword());
    addMessage("AuthenticationMD5Password", Authentication::md5Password(hex("00ff10a5")));
    addMessage("AuthenticationSASL", Authentication::sasl({"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}));
    addMessage("AuthenticationSASL no mechanisms", Authentication::sasl({}));
    addMessage("AuthenticationSASLContinue", Authentication::saslContinue("r=abc123,s=c2FsdA==,i=4096"));
    addMessage("AuthenticationSASLFinal", Authentication::saslFinal("v=c2lnbmF0dXJl"));
    addMessage("AuthenticationSASLFinal empty", Authentication::saslFinal({}));
    Authentication gss;
    gss.kind = Authentication::Kind::GssContinue;
    gss.data = hex("00 01 02 ff");
    addMessage("AuthenticationGSSContinue", gss);
    addMessage("PasswordMessage md5", PasswordMessage{"md5" + QByteArray(32, 'a')});
    addMessage("PasswordMessage empty", PasswordMessage{});
    addMessage("SASLInitialResponse", SaslInitialResponse{"SCRAM-SHA-256", QByteArray("n,,n=,r=rOprNGfwEbeRWgbNEkqO")});
    addMessage("SASLInitialResponse no data", SaslInitialResponse{"SCRAM-SHA-256", std::nullopt});
    addMessage("SASLInitialResponse empty data", SaslInitialResponse{"SCRAM-SHA-256", QByteArray("")});
    addMessage("SASLResponse", SaslResponse{"c=biws,r=abc,p=proof"});

    // Session set-up and status.
    addMessage("ParameterStatus", ParameterStatus{"server_version", "15.20"});
    addMessage("ParameterStatus empty value", ParameterStatus{"application_name", ""});
    addMessage("BackendKeyData 3.0", BackendKeyData{12345, hex("01020304")});
    addMessage("BackendKeyData 3.2", BackendKeyData{7, QByteArray(256, '\x01')});
    addMessage("ReadyForQuery idle", ReadyForQuery{TransactionStatus::Idle});
    addMessage("ReadyForQuery in transaction", ReadyForQuery{TransactionStatus::InTransaction});
    addMessage("ReadyForQuery failed", ReadyForQuery{TransactionStatus::Failed});
    addMessage("NegotiateProtocolVersion", NegotiateProtocolVersion{0, {"_pq_.compression"}});
    addMessage("NegotiateProtocolVersion no options", NegotiateProtocolVersion{2, {}});

    // Simple and extended query.
    addMessage("Query", Query{"SELECT 1"});
    addMessage("Query multi-statement", Query{"BEGIN; UPDATE github.issue SET title = 'x'; COMMIT"});
    addMessage("Query empty", Query{});
    addMessage("Query non-UTF-8 bytes", Query{"SELECT '\xff\xfe'"});
    addMessage("Parse unnamed", Parse{"", "SELECT $1", {}});
    addMessage("Parse named with types", Parse{"s1", "UPDATE t SET a = $1 WHERE b = $2 AND c = $3", {23, 25, 0}});
    addMessage("Bind empty", Bind{});
    addMessage("Bind params with NULL",
               Bind{"p1", "s1", {0, 1}, {QByteArray("42"), std::nullopt, QByteArray(""), hex("0001")}, {0, 1}});
    addMessage("Bind one format for all", Bind{"", "s", {1}, {hex("00000001"), hex("00000002")}, {1}});
    {
        // Postgres and libpq allow 65535 parameters; the count 0xFFFF must not read as -1.
        Bind many;
        many.parameters.fill(std::nullopt, maxCount16);
        addMessage("Bind 65535 parameters", many);
    }
    addMessage("Describe statement", Describe{ObjectKind::Statement, "s1"});
    addMessage("Describe unnamed portal", Describe{ObjectKind::Portal, ""});
    addMessage("Execute", Execute{"", 0});
    addMessage("Execute with row limit", Execute{"p1", 100});
    addMessage("Close statement", Close{ObjectKind::Statement, "s1"});
    addMessage("Close portal", Close{ObjectKind::Portal, "p1"});
    addMessage("Sync", Sync{});
    addMessage("Flush", Flush{});
    addMessage("Terminate", Terminate{});

    // COPY.
    addMessage("CopyData", CopyData{"1\tfirst\n2\tsecond\n"});
    addMessage("CopyData empty", CopyData{});
    addMessage("CopyDone", CopyDone{});
    addMessage("CopyFail", CopyFail{"aborted by user"});
    addMessage("CopyInResponse", CopyInResponse{0, {0, 0, 0}});
    addMessage("CopyOutResponse binary", CopyOutResponse{1, {1, 1}});
    addMessage("CopyBothResponse", CopyBothResponse{0, {}});

    // Results.
    addMessage("RowDescription", RowDescription{{FieldDescription{"id", 16385, 1, 20, 8, -1, 0},
                                                 FieldDescription{"title", 16385, 4, 25, -1, -1, 1}}});
    addMessage("RowDescription no fields", RowDescription{});
    addMessage("DataRow", DataRow{{QByteArray("1"), std::nullopt, QByteArray(""), hex("00ff")}});
    addMessage("DataRow no columns", DataRow{});
    addMessage("CommandComplete UPDATE", CommandComplete{"UPDATE 3"});
    addMessage("CommandComplete INSERT", CommandComplete{"INSERT 0 1"});
    addMessage("EmptyQueryResponse", EmptyQueryResponse{});
    addMessage("ParseComplete", ParseComplete{});
    addMessage("BindComplete", BindComplete{});
    addMessage("CloseComplete", CloseComplete{});
    addMessage("NoData", NoData{});
    addMessage("PortalSuspended", PortalSuspended{});
    addMessage("ParameterDescription", ParameterDescription{{23, 25, 1184}});
    addMessage("ParameterDescription empty", ParameterDescription{});
    addMessage("NotificationResponse", NotificationResponse{4711, "issue_changed", "{\"id\":1}"});

    // Errors and notices, including the fields write-through sends.
    ErrorFields refusal = ErrorFields::make("ERROR", "42501", "GitHub refused the update");
    refusal.set(field::detail, "HTTP 403: Resource not accessible by integration")
        .set(field::hint, "Grant the app \"issues: write\"")
        .set(field::position, "8")
        .set('x', "unknown field codes are kept");
    addMessage("ErrorResponse", ErrorResponse{refusal});
    addMessage("ErrorResponse no fields", ErrorResponse{});
    addMessage("NoticeResponse",
               NoticeResponse{ErrorFields::make("NOTICE", "01000", "the GitHub change escapes a later ROLLBACK")});
}

void addWireByteRows() {
    QTest::addColumn<QByteArray>("wire");
    QTest::addColumn<bool>("untyped");
    QTest::addColumn<Checker>("check");

    // Captured from psql 15.20 (`psql -h 127.0.0.1 -U postgres -d postgres -c "SELECT 1"`) against a fake
    // server: first SSLRequest, then, after 'N', the startup packet; later the query and Terminate.
    QTest::newRow("psql SSLRequest") << hex("00000008 04d2162f") << true << expectStartup(SslRequest{});
    QTest::newRow("psql StartupMessage")
        << hex("0000003f 00030000 7573657200 706f737467726573 00 646174616261736500 706f737467726573 00"
               "6170706c69636174696f6e5f6e616d6500 7073716c00 00")
        << true << expectStartup(psqlStartup());
    QTest::newRow("psql Query SELECT 1") << hex("51 0000000d 53454c4543542031 00") << false
                                         << expect(Query{"SELECT 1"});
    QTest::newRow("psql Terminate") << hex("58 00000004") << false << expect(Terminate{});

    // Written from protocol-message-formats.html.
    QTest::newRow("GSSENCRequest") << hex("00000008 04d21630") << true << expectStartup(GssEncRequest{});
    QTest::newRow("CancelRequest") << hex("00000010 04d2162e 000004d2 0000162e") << true
                                   << expectStartup(CancelRequest{1234, hex("0000162e")});
    QTest::newRow("AuthenticationOk") << hex("52 00000008 00000000") << false << expect(Authentication::ok());
    QTest::newRow("AuthenticationMD5Password")
        << hex("52 0000000c 00000005 01020304") << false << expect(Authentication::md5Password(hex("01020304")));
    QTest::newRow("AuthenticationSASL") << hex("52 00000017 0000000a 534352414d2d5348412d323536 00 00") << false
                                        << expect(Authentication::sasl({"SCRAM-SHA-256"}));
    QTest::newRow("ParameterStatus") << hex("53 00000018 7365727665725f76657273696f6e 00 31352e30 00") << false
                                     << expect(ParameterStatus{"server_version", "15.0"});
    QTest::newRow("BackendKeyData") << hex("4b 0000000c 000004d2 0000162e") << false
                                    << expect(BackendKeyData{1234, hex("0000162e")});
    QTest::newRow("ReadyForQuery") << hex("5a 00000005 49") << false << expect(ReadyForQuery{TransactionStatus::Idle});
    QTest::newRow("Sync") << hex("53 00000004") << false << expect(Sync{});
    QTest::newRow("Parse") << hex("50 00000015 00 53454c4543542024 31 00 0001 00000017") << false
                           << expect(Parse{"", "SELECT $1", {23}});
    QTest::newRow("Bind with NULL") << hex("42 00000015 00 00 0000 0002 00000001 31 ffffffff 0000") << false
                                    << expect(Bind{"", "", {}, {QByteArray("1"), std::nullopt}, {}});
    QTest::newRow("RowDescription ?column?")
        << hex("54 00000021 0001 3f636f6c756d6e3f 00 00000000 0000 00000017 0004 ffffffff 0000") << false
        << expect(RowDescription{{FieldDescription{"?column?", 0, 0, 23, 4, -1, 0}}});
    QTest::newRow("DataRow") << hex("44 0000000b 0001 00000001 31") << false << expect(DataRow{{QByteArray("1")}});
    QTest::newRow("CommandComplete") << hex("43 0000000d 53454c4543542031 00") << false
                                     << expect(CommandComplete{"SELECT 1"});
    QTest::newRow("ErrorResponse division by zero")
        << hex("45 00000041 53 4552524f52 00 56 4552524f52 00 43 3232303132 00"
               "4d 6469766973696f6e206279207a65726f 00 46 696e742e63 00 4c 383431 00 52 696e7434646976 00 00")
        << false << expect(ErrorResponse{divisionByZero()});
}

void addFramingErrorRows() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<bool>("startup");
    QTest::addColumn<int>("maxMessageLength");
    QTest::addColumn<QString>("error");

    const int standard = defaultMaxMessageLength;
    QTest::newRow("length 3") << hex("51 00000003") << false << standard << "invalid length 3 in message 'Q'";
    QTest::newRow("length 0") << hex("51 00000000") << false << standard << "must be at least 4";
    QTest::newRow("length -1") << hex("51 ffffffff") << false << standard << "invalid length -1";
    QTest::newRow("length INT_MIN") << hex("44 80000000") << false << standard << "invalid length -2147483648";
    QTest::newRow("over configured limit")
        << hex("64 00000069") << false << 100 << "message 'd' of 101 bytes exceeds the limit of 100 bytes";
    QTest::newRow("over default limit") << hex("64 7fffffff") << false << standard << "exceeds the limit of 67108864";
    QTest::newRow("unprintable type") << hex("01 00000002") << false << standard << "message 0x01";
    QTest::newRow("type byte 0") << hex("00 00000008 00030000") << false << standard << "a startup packet after";
    QTest::newRow("startup length 7") << hex("00000007") << true << standard
                                      << "invalid startup packet length 7: must be between 8 and 10004";
    QTest::newRow("startup length 0") << hex("00000000") << true << standard << "invalid startup packet length 0";
    QTest::newRow("startup length -8") << hex("fffffff8") << true << standard << "invalid startup packet length -8";
    QTest::newRow("startup 10005") << hex("00002715") << true << standard << "invalid startup packet length 10005";
    QTest::newRow("startup INT_MAX") << hex("7fffffff") << true << standard << "between 8 and 10004";
}

void addDecodeErrorRows() {
    QTest::addColumn<QString>("decoder");
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<QString>("error");

    auto row = [](const char *name, const char *decoder, const QByteArray &payload, const char *error) {
        QTest::newRow(name) << QString::fromLatin1(decoder) << payload << QString::fromLatin1(error);
    };
    // Strings and trailing bytes.
    row("Query without NUL", "Query", "SELECT 1", "Query: query string is not NUL-terminated");
    row("Query empty payload", "Query", {}, "not NUL-terminated");
    row("Query trailing bytes", "Query", QByteArray("SELECT 1\0x", 10), "1 unexpected bytes after the last field");
    row("Sync with payload", "Sync", "x", "message 'S' must be empty but carries 1 bytes");
    row("PasswordMessage without NUL", "PasswordMessage", "secret", "password is not NUL-terminated");
    row("CopyFail without NUL", "CopyFail", "oops", "not NUL-terminated");
    row("CommandComplete without NUL", "CommandComplete", "UPDATE 1", "not NUL-terminated");
    // Counts that the payload cannot hold, negative lengths, truncation.
    row("Parse OID count too big", "Parse", hex("00 7800 0001 0000"), "parameter type count is 1 but only 2 bytes");
    row("Parse OID count 0xFFFF", "Parse", hex("00 7800 ffff"), "parameter type count is 65535");
    row("Bind truncated", "Bind", hex("00"), "statement name is not NUL-terminated");
    row("Bind format count too big", "Bind", hex("00 00 0005 0000"), "parameter format count is 5");
    row("Bind param count 0xFFFF", "Bind", hex("00 00 0000 ffff"), "parameter count is 65535 but only 0 bytes");
    row("Bind param length -2", "Bind", hex("00 00 0000 0001 fffffffe 0000"), "has negative length -2");
    row("Bind param longer than payload", "Bind", hex("00 00 0000 0001 00000010 6162"),
        "parameter value needs 16 bytes but only 2 remain");
    row("Bind missing result formats", "Bind", hex("00 00 0000 0000"), "result format count needs 2 bytes");
    row("Describe bad selector", "Describe", hex("58 00"), "selector 'X' is neither 'S'");
    row("Describe empty", "Describe", {}, "truncated Describe");
    row("Close no name", "Close", hex("53"), "name is not NUL-terminated");
    row("Execute truncated", "Execute", hex("00 0000"), "row limit needs 4 bytes but only 2 remain");
    row("DataRow count too big", "DataRow", hex("0003 00000001 31"), "column count is 3");
    row("DataRow length -5", "DataRow", hex("0001 fffffffb"), "negative length -5");
    row("DataRow value truncated", "DataRow", hex("0001 00000005 3132"), "needs 5 bytes but only 2 remain");
    row("RowDescription count too big", "RowDescription", hex("0001 6100 00000000"), "field count is 1");
    row("RowDescription field truncated", "RowDescription", hex("0001 61626300 00000000 0000 00000017 0004 ffffffff"),
        "format code needs 2 bytes");
    row("ParameterDescription count too big", "ParameterDescription", hex("0002 00000017"), "parameter count is 2");
    row("CopyInResponse count too big", "CopyInResponse", hex("00 0003 0000"), "column count is 3");
    row("CopyOutResponse truncated", "CopyOutResponse", hex("01"), "column count needs 2 bytes");
    row("NegotiateProtocolVersion count -1", "NegotiateProtocolVersion", hex("00000000 ffffffff"),
        "option count -1 does not fit");
    row("NegotiateProtocolVersion count too big", "NegotiateProtocolVersion", hex("00000000 00000005 6100"),
        "option count 5");
    // Enumerations and sub-formats.
    row("ReadyForQuery bad status", "ReadyForQuery", "X", "transaction status 'X' is not 'I', 'T' or 'E'");
    row("ReadyForQuery empty", "ReadyForQuery", {}, "truncated ReadyForQuery");
    row("ReadyForQuery two bytes", "ReadyForQuery", "II", "unexpected bytes");
    row("Authentication unknown code", "Authentication", hex("00000063"), "unsupported request code 99");
    row("Authentication empty", "Authentication", {}, "request code needs 4 bytes but only 0 remain");
    row("Authentication MD5 short salt", "Authentication", hex("00000005 0102"), "MD5 salt needs 4 bytes");
    row("Authentication SASL unterminated", "Authentication", hex("0000000a 534352414d00"),
        "mechanism list is not closed");
    row("AuthenticationOk trailing", "Authentication", hex("00000000 00"), "unexpected bytes");
    row("SASLInitialResponse length -2", "SASLInitialResponse", hex("4100 fffffffe"), "negative length -2");
    row("SASLInitialResponse too long", "SASLInitialResponse", hex("4100 00000064 6e2c2c"), "needs 100 bytes");
    row("SASLInitialResponse no length", "SASLInitialResponse", hex("4100"), "initial response needs 4 bytes");
    row("BackendKeyData short key", "BackendKeyData", hex("00000001 0102"), "secret key of 2 bytes (must be 4 to 256)");
    row("BackendKeyData long key", "BackendKeyData", hex("00000001") + QByteArray(257, 'k'), "secret key of 257");
    row("ErrorResponse unterminated", "ErrorResponse", QByteArray("SERROR\0", 7), "field list is not closed");
    row("ErrorResponse value without NUL", "ErrorResponse", "SERROR", "field value is not NUL-terminated");
    row("NoticeResponse empty", "NoticeResponse", {}, "NoticeResponse: field list is not closed");
    row("NotificationResponse truncated", "NotificationResponse", hex("000000"), "process ID needs 4 bytes");
    // Startup phase.
    row("startup too short", "StartupPacket", hex("0003"), "needs 4 bytes but only 2 remain");
    row("startup protocol 2.0", "StartupPacket", hex("00020000 00"), "unsupported frontend protocol 2.0");
    row("startup no final NUL", "StartupPacket", hex("00030000 7573657200 626f6200"), "parameter list is not closed");
    row("startup name without value", "StartupPacket", hex("00030000 7573657200"), "parameter \"user\" has no value");
    row("startup trailing bytes", "StartupPacket", hex("00030000 00 41"), "unexpected bytes");
    row("SSLRequest trailing bytes", "StartupPacket", hex("04d2162f 00"), "SSLRequest: 1 unexpected bytes");
    row("SSLRequest decoder on GSS code", "SSLRequest", hex("04d21630"), "request code 80877104 is not 80877103");
    row("CancelRequest without key", "StartupPacket", hex("04d2162e 00000001"), "secret key of 0 bytes");
    row("CancelRequest truncated", "CancelRequest", hex("04d2162e 0000"), "process ID needs 4 bytes");
}

} // namespace hubsync::proxy::protocol::testing
