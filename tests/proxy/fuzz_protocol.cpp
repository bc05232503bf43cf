// libFuzzer target for the protocol v3 codecs (engine/proxy/protocol): the framer and every decoder.
//
// Build (clang only; the option is ignored with another compiler):
//   cmake -S . -B build/fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DHUBSYNC_FUZZ=ON \
//         -DCMAKE_BUILD_TYPE=RelWithDebInfo
//   cmake --build build/fuzz --target fuzz_protocol
// Run (seeds are written into an empty corpus directory named by HUBSYNC_FUZZ_SEEDS):
//   mkdir -p /tmp/pgcorpus
//   HUBSYNC_FUZZ_SEEDS=/tmp/pgcorpus build/fuzz/tests/proxy/fuzz_protocol /tmp/pgcorpus -max_total_time=60
//   ctest --test-dir build/fuzz -L slow -R fuzz_protocol_smoke      # the same for 20 s
// A finding leaves crash-<sha1> in the working directory; replay it with `fuzz_protocol crash-<sha1>`.
//
// Input layout: byte 0 picks the reader's mode (bit 0: startup) and limit (bit 1: small limit from the
// upper bits), byte 1 the chunk size (1..256) in which the rest is fed to the framer.
//
// Checked beyond "no crash, no sanitizer report": every successful decode re-encodes to exactly its input,
// every failure has an error text, and the frames re-assemble into the stream they were cut from.

#include "protocol_decoders.h"

#include <QDir>
#include <QFile>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace hubsync::proxy::protocol;
using namespace hubsync::proxy::protocol::testing;

namespace {

[[noreturn]] void violated(const QString &what) {
    std::fprintf(stderr, "property violated: %s\n", qPrintable(what));
    std::abort();
}

void checkDecoder(const Decoder &decoder, QByteArrayView payload) {
    if (const QString problem = checkCanonical(decoder, payload); !problem.isEmpty())
        violated(problem);
}

void decodeFrame(const Frame &frame, MessageReader &reader) {
    for (const std::span<const Decoder> decoders : allDecoders) {
        for (const Decoder &decoder : decoders) {
            if (decoder.type == frame.type)
                checkDecoder(decoder, frame.payload);
        }
    }
    // What a session does: once a StartupMessage is in, the client's stream is typed.
    if (frame.isUntyped() && StartupMessage::decode(frame.payload).ok())
        reader.setMode(MessageReader::Mode::Typed);
}

void writeSeed(const QString &directory, int index, char control, const QList<QByteArray> &messages) {
    QByteArray bytes;
    bytes += control;
    bytes += '\x06'; // chunks of 7 bytes
    for (const QByteArray &message : messages)
        bytes += message;
    QFile file(QDir(directory).filePath(QStringLiteral("seed-%1").arg(index)));
    if (file.open(QIODevice::WriteOnly))
        file.write(bytes);
}

// Structurally valid messages of every kind give the mutator something worth mutating.
void writeSeeds(const QString &directory) {
    if (!QDir(directory).isEmpty())
        return;
    int index = 0;
    StartupMessage startup;
    startup.parameters = {{"user", "postgres"}, {"database", "postgres"}, {"application_name", "psql"}};
    writeSeed(directory, index++, '\x01',
              {SslRequest{}.encode(), startup.encode(), Query{"SELECT 1"}.encode(), Terminate{}.encode()});
    writeSeed(directory, index++, '\x01', {GssEncRequest{}.encode(), CancelRequest{7, "abcd"}.encode()});
    writeSeed(directory, index++, '\x00',
              {Parse{"s", "SELECT $1", {23}}.encode(),
               Bind{"", "s", {1}, {QByteArray("1"), std::nullopt}, {0}}.encode(),
               Describe{ObjectKind::Portal, ""}.encode(), Execute{"", 10}.encode(),
               Close{ObjectKind::Statement, "s"}.encode(), Sync{}.encode(), Flush{}.encode()});
    // The orders drivers send writes in: asyncpg/postgres.js (Describe, Flush, then Bind), lib/pq (Parse in
    // a segment of its own), a row limit with the rest fetched after a Flush.
    const QByteArray update = "UPDATE github.issue SET title = $1 WHERE id = $2";
    writeSeed(directory, index++, '\x00',
              {Parse{"a1", update, {}}.encode(), Describe{ObjectKind::Statement, "a1"}.encode(), Flush{}.encode(),
               Bind{"", "a1", {}, {QByteArray("t"), QByteArray("1")}, {}}.encode(), Execute{"", 0}.encode(),
               Sync{}.encode()});
    writeSeed(directory, index++, '\x00',
              {Parse{"", update + " RETURNING id", {}}.encode(), Describe{ObjectKind::Statement, ""}.encode(),
               Sync{}.encode(), Bind{"", "", {}, {QByteArray("t"), QByteArray("1")}, {}}.encode(),
               Execute{"", 1}.encode(), Flush{}.encode(), Execute{"", 0}.encode(), Sync{}.encode()});
    writeSeed(
        directory, index++, '\x00',
        {CopyData{"1\tx\n"}.encode(), CopyDone{}.encode(), CopyFail{"no"}.encode(), PasswordMessage{"secret"}.encode(),
         SaslInitialResponse{"SCRAM-SHA-256", QByteArray("n,,n=,r=x")}.encode(), SaslResponse{"c=biws"}.encode()});
    writeSeed(directory, index++, '\x00',
              {Authentication::md5Password("salt").encode(), Authentication::sasl({"SCRAM-SHA-256"}).encode(),
               Authentication::saslContinue("r=x").encode(), Authentication::ok().encode(),
               ParameterStatus{"server_version", "15"}.encode(), BackendKeyData{1, "abcd"}.encode(),
               ReadyForQuery{TransactionStatus::InTransaction}.encode(),
               NegotiateProtocolVersion{0, {"_pq_.x"}}.encode()});
    writeSeed(directory, index++, '\x00',
              {RowDescription{{FieldDescription{"id", 1, 1, 23, 4, -1, 0}}}.encode(),
               DataRow{{QByteArray("1"), std::nullopt}}.encode(), CommandComplete{"SELECT 1"}.encode(),
               ParameterDescription{{23}}.encode(), NotificationResponse{1, "c", "p"}.encode(),
               CopyInResponse{0, {0}}.encode(), CopyOutResponse{1, {1}}.encode(), CopyBothResponse{0, {}}.encode(),
               EmptyQueryResponse{}.encode(), ParseComplete{}.encode(), BindComplete{}.encode(),
               CloseComplete{}.encode(), NoData{}.encode(), PortalSuspended{}.encode()});
    ErrorFields fields = ErrorFields::make("ERROR", "22012", "division by zero");
    fields.set(field::detail, "d").set(field::hint, "h").set(field::position, "1");
    writeSeed(directory, index++, '\x00', {ErrorResponse{fields}.encode(), NoticeResponse{fields}.encode()});
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
    if (const QByteArray seeds = qgetenv("HUBSYNC_FUZZ_SEEDS"); !seeds.isEmpty())
        writeSeeds(QString::fromLocal8Bit(seeds));
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    if (size < 2)
        return 0;
    const quint8 control = data[0];
    const qsizetype chunkSize = 1 + data[1];
    const QByteArrayView input(reinterpret_cast<const char *>(data + 2), static_cast<qsizetype>(size - 2));

    // Every decoder on the raw bytes, whatever their type.
    for (const std::span<const Decoder> decoders : allDecoders) {
        for (const Decoder &decoder : decoders)
            checkDecoder(decoder, input);
    }

    // The framer, fed in chunks; a small limit now and then exercises the limit checks.
    MessageReader::Limits limits;
    if (control & 2)
        limits.maxMessageLength = control >> 2;
    MessageReader reader(control & 1 ? MessageReader::Mode::Startup : MessageReader::Mode::Typed, limits);
    qsizetype consumed = 0;
    for (qsizetype offset = 0; offset < input.size(); offset += chunkSize) {
        reader.feed(input.sliced(offset, qMin(chunkSize, input.size() - offset)));
        Frame frame;
        MessageReader::Status status;
        while ((status = reader.next(frame)) == MessageReader::Status::Frame) {
            const QByteArray wire = frame.toWire();
            if (consumed + wire.size() > input.size() || input.sliced(consumed, wire.size()) != wire)
                violated(QStringLiteral("frame does not match the bytes it was cut from"));
            consumed += wire.size();
            decodeFrame(frame, reader);
        }
        if (status == MessageReader::Status::Error) {
            if (reader.error().isEmpty())
                violated(QStringLiteral("framing error without a text"));
            return 0;
        }
    }
    if (consumed + reader.buffered() != input.size())
        violated(QStringLiteral("bytes lost between feed() and next()"));
    return 0;
}
