#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QPair>

namespace hubsync::webhooks {

// The reason phrase of a status line for the statuses HubSync's HTTP servers answer with ("Error" for
// any other).
QByteArray reasonPhrase(int status);

struct HttpRequest {
    QByteArray method; // upper case
    QByteArray target; // as sent: path and query
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;
    bool keepAlive = true;

    // Case-insensitive lookup; empty when absent.
    [[nodiscard]] QByteArray header(QByteArrayView name) const;
    [[nodiscard]] QByteArray path() const; // target without the query
};

// Incremental HTTP/1.1 request parser for the webhook receiver. Pure (no sockets) so that it can be
// fuzzed: bytes go in with append(), complete requests come out of next(). Everything a peer controls
// is bounded: header bytes, header count, body size (Content-Length or chunked); anything malformed
// ends the connection with the HTTP status to answer. Pipelined requests are returned in order.
class HttpRequestParser final {
public:
    struct Limits {
        qsizetype maxHeaderBytes = 16 * 1024;
        int maxHeaders = 100;
        qsizetype maxBodyBytes = 25 * 1024 * 1024; // GitHub caps webhook payloads at 25 MB
    };
    enum class State { NeedMore, Ready, Failed };

    explicit HttpRequestParser(Limits limits);
    HttpRequestParser();

    void append(QByteArrayView data);
    // Ready: *request holds the next complete request. Failed: errorStatus()/errorMessage() say why;
    // the parser stays failed (the connection must be closed after answering).
    State next(HttpRequest *request);

    // True once a request's headers are complete and it asked for "Expect: 100-continue" (answered once).
    [[nodiscard]] bool wantsContinue();
    [[nodiscard]] int errorStatus() const { return m_errorStatus; }
    [[nodiscard]] QByteArray errorMessage() const { return m_errorMessage; }
    [[nodiscard]] qsizetype bufferedBytes() const { return m_buffer.size(); }

private:
    State fail(int status, const char *message);
    State parseHead();
    State readChunked(HttpRequest *request);

    enum class Phase { Head, Body, Chunked };
    Limits m_limits;
    QByteArray m_buffer;
    Phase m_phase = Phase::Head;
    HttpRequest m_current;
    qsizetype m_bodyLength = 0;
    bool m_continuePending = false;
    int m_errorStatus = 0;
    QByteArray m_errorMessage;
};

} // namespace hubsync::webhooks
