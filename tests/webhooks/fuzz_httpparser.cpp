// libFuzzer target for the webhook receiver's HTTP request parser (engine/webhooks/httpparser) and the
// signature check that runs on every body it yields.
//
// Build (clang only):
//   cmake -S . -B build/fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DHUBSYNC_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
//   cmake --build build/fuzz --target fuzz_httpparser
// Run:
//   mkdir -p /tmp/httpcorpus && build/fuzz/tests/webhooks/fuzz_httpparser /tmp/httpcorpus -max_total_time=60
//
// Input layout: byte 0 is the chunk size (1..256) in which the rest reaches the parser, as a socket would
// deliver it. Checked beyond "no crash, no sanitizer report": every request respects the limits, its
// target starts with '/', its method is upper case, and a failed parser stays failed and buffers nothing.

#include "webhooks/httpparser.h"
#include "webhooks/signature.h"

#include <cstdint>
#include <cstdlib>

using namespace hubsync::webhooks;

namespace {

void check(bool condition) {
    if (!condition)
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    const qsizetype chunk = qsizetype(data[0]) + 1;
    HttpRequestParser::Limits limits;
    limits.maxHeaderBytes = 2048;
    limits.maxHeaders = 16;
    limits.maxBodyBytes = 4096;
    HttpRequestParser parser(limits);
    const char *bytes = reinterpret_cast<const char *>(data + 1);
    const qsizetype total = qsizetype(size - 1);
    for (qsizetype offset = 0; offset < total; offset += chunk) {
        parser.append(QByteArrayView(bytes + offset, std::min(chunk, total - offset)));
        for (;;) {
            HttpRequest request;
            const HttpRequestParser::State state = parser.next(&request);
            if (state == HttpRequestParser::State::NeedMore) {
                (void)parser.wantsContinue();
                break;
            }
            if (state == HttpRequestParser::State::Failed) {
                check(parser.errorStatus() >= 400 && parser.errorStatus() < 600);
                check(!parser.errorMessage().isEmpty());
                check(parser.bufferedBytes() == 0);
                return 0;
            }
            check(request.target.startsWith('/'));
            check(!request.method.isEmpty() && request.method == request.method.toUpper());
            check(request.body.size() <= limits.maxBodyBytes);
            check(request.headers.size() <= limits.maxHeaders);
            (void)verifySignature(request.body, "secret", request.header("X-Hub-Signature-256"));
        }
    }
    return 0;
}
