#include "webhooks/httpparser.h"

#include <limits>

namespace hubsync::webhooks {

namespace {

bool isTokenChar(char c) {
    // RFC 9110 tchar
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           QByteArrayView("!#$%&'*+-.^_`|~").contains(c);
}

bool isToken(QByteArrayView s) {
    if (s.isEmpty())
        return false;
    for (char c : s) {
        if (!isTokenChar(c))
            return false;
    }
    return true;
}

bool hasControlChars(QByteArrayView s) {
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\t') || u == 0x7f)
            return true;
    }
    return false;
}

// Parses a non-negative decimal (Content-Length) or hex (chunk size) number; -1 on junk or overflow
// beyond `max`.
qint64 parseNumber(QByteArrayView s, int base, qint64 max) {
    if (s.isEmpty() || s.size() > 16)
        return -1;
    qint64 value = 0;
    for (char c : s) {
        int digit = -1;
        if (c >= '0' && c <= '9')
            digit = c - '0';
        else if (base == 16 && c >= 'a' && c <= 'f')
            digit = c - 'a' + 10;
        else if (base == 16 && c >= 'A' && c <= 'F')
            digit = c - 'A' + 10;
        if (digit < 0)
            return -1;
        value = value * base + digit;
        if (value > max)
            return -1;
    }
    return value;
}

} // namespace

QByteArray reasonPhrase(int status) {
    switch (status) {
    case 200:
        return "OK";
    case 202:
        return "Accepted";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Payload Too Large";
    case 431:
        return "Request Header Fields Too Large";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Error";
    }
}

QByteArray HttpRequest::header(QByteArrayView name) const {
    for (const auto &[k, v] : headers) {
        if (QByteArrayView(k).compare(name, Qt::CaseInsensitive) == 0)
            return v;
    }
    return {};
}

QByteArray HttpRequest::path() const {
    const qsizetype q = target.indexOf('?');
    return q < 0 ? target : target.left(q);
}

HttpRequestParser::HttpRequestParser(Limits limits)
    : m_limits(limits) {}

HttpRequestParser::HttpRequestParser()
    : HttpRequestParser(Limits{}) {}

void HttpRequestParser::append(QByteArrayView data) {
    if (m_errorStatus == 0)
        m_buffer.append(data);
}

HttpRequestParser::State HttpRequestParser::fail(int status, const char *message) {
    m_errorStatus = status;
    m_errorMessage = message;
    m_buffer.clear();
    return State::Failed;
}

bool HttpRequestParser::wantsContinue() {
    const bool want = m_continuePending;
    m_continuePending = false;
    return want;
}

HttpRequestParser::State HttpRequestParser::parseHead() {
    const qsizetype end = m_buffer.indexOf("\r\n\r\n");
    if (end < 0) {
        if (m_buffer.size() > m_limits.maxHeaderBytes)
            return fail(431, "request header fields too large");
        return State::NeedMore;
    }
    if (end > m_limits.maxHeaderBytes)
        return fail(431, "request header fields too large");
    const QByteArrayView head(m_buffer.constData(), end);
    m_current = HttpRequest{};

    qsizetype lineEnd = head.indexOf("\r\n");
    const QByteArrayView requestLine = lineEnd < 0 ? head : head.first(lineEnd);
    const qsizetype sp1 = requestLine.indexOf(' ');
    const qsizetype sp2 = sp1 < 0 ? -1 : requestLine.indexOf(' ', sp1 + 1);
    if (sp1 <= 0 || sp2 <= sp1 + 1 || requestLine.indexOf(' ', sp2 + 1) >= 0)
        return fail(400, "malformed request line");
    const QByteArrayView method = requestLine.first(sp1);
    const QByteArrayView target = requestLine.sliced(sp1 + 1, sp2 - sp1 - 1);
    const QByteArrayView version = requestLine.sliced(sp2 + 1);
    if (!isToken(method) || !target.startsWith('/') || hasControlChars(target))
        return fail(400, "malformed request line");
    if (version != "HTTP/1.1" && version != "HTTP/1.0")
        return fail(505, "HTTP version not supported");
    m_current.method = method.toByteArray().toUpper();
    m_current.target = target.toByteArray();
    m_current.keepAlive = version == "HTTP/1.1";

    while (lineEnd >= 0) {
        const qsizetype start = lineEnd + 2;
        lineEnd = head.indexOf("\r\n", start);
        const QByteArrayView line = lineEnd < 0 ? head.sliced(start) : head.sliced(start, lineEnd - start);
        const qsizetype colon = line.indexOf(':');
        // No obsolete line folding, no whitespace before the colon (request smuggling vectors).
        if (colon <= 0 || !isToken(line.first(colon)) || hasControlChars(line.sliced(colon + 1)))
            return fail(400, "malformed header field");
        if (m_current.headers.size() >= m_limits.maxHeaders)
            return fail(431, "too many header fields");
        m_current.headers.append({line.first(colon).toByteArray(), line.sliced(colon + 1).trimmed().toByteArray()});
    }
    m_buffer.remove(0, end + 4);

    const QByteArray connection = m_current.header("Connection").toLower();
    if (connection.contains("close"))
        m_current.keepAlive = false;
    else if (connection.contains("keep-alive"))
        m_current.keepAlive = true;

    const QByteArray transferEncoding = m_current.header("Transfer-Encoding");
    const QByteArray contentLength = m_current.header("Content-Length");
    int lengthHeaders = 0;
    for (const auto &h : std::as_const(m_current.headers)) {
        if (h.first.compare("Content-Length", Qt::CaseInsensitive) == 0)
            ++lengthHeaders;
    }
    if (!transferEncoding.isEmpty()) {
        if (!contentLength.isEmpty())
            return fail(400, "both Content-Length and Transfer-Encoding");
        if (transferEncoding.trimmed().compare("chunked", Qt::CaseInsensitive) != 0)
            return fail(501, "unsupported transfer encoding");
        m_phase = Phase::Chunked;
    } else {
        if (lengthHeaders > 1)
            return fail(400, "several Content-Length headers");
        const qint64 length = contentLength.isEmpty() ? 0 : parseNumber(contentLength, 10, m_limits.maxBodyBytes);
        if (length < 0)
            return parseNumber(contentLength, 10, std::numeric_limits<qint64>::max() / 16) < 0
                       ? fail(400, "malformed Content-Length")
                       : fail(413, "payload too large");
        m_bodyLength = length;
        m_phase = Phase::Body;
    }
    m_continuePending = m_current.header("Expect").compare("100-continue", Qt::CaseInsensitive) == 0;
    return State::Ready;
}

HttpRequestParser::State HttpRequestParser::readChunked(HttpRequest *request) {
    for (;;) {
        const qsizetype lineEnd = m_buffer.indexOf("\r\n");
        if (lineEnd < 0)
            return m_buffer.size() > 1024 ? fail(400, "malformed chunk") : State::NeedMore;
        QByteArrayView sizeText(m_buffer.constData(), lineEnd);
        if (const qsizetype semi = sizeText.indexOf(';'); semi >= 0)
            sizeText = sizeText.first(semi); // chunk extensions are ignored
        const qint64 size = parseNumber(sizeText.trimmed(), 16, m_limits.maxBodyBytes);
        if (size < 0)
            return fail(400, "malformed chunk size");
        if (size == 0) {
            // Last chunk, then (no trailers supported beyond skipping them) the empty line.
            const qsizetype end = m_buffer.indexOf("\r\n\r\n", lineEnd);
            if (end < 0)
                return m_buffer.size() > m_limits.maxHeaderBytes ? fail(431, "trailer too large") : State::NeedMore;
            m_buffer.remove(0, end + 4);
            m_phase = Phase::Head;
            m_continuePending = false;
            *request = std::move(m_current);
            m_current = HttpRequest{};
            return State::Ready;
        }
        if (m_current.body.size() + size > m_limits.maxBodyBytes)
            return fail(413, "payload too large");
        if (m_buffer.size() < lineEnd + 2 + size + 2)
            return State::NeedMore;
        if (QByteArrayView(m_buffer).sliced(lineEnd + 2 + size, 2) != "\r\n")
            return fail(400, "malformed chunk");
        m_current.body.append(QByteArrayView(m_buffer).sliced(lineEnd + 2, size));
        m_buffer.remove(0, lineEnd + 2 + size + 2);
    }
}

HttpRequestParser::State HttpRequestParser::next(HttpRequest *request) {
    if (m_errorStatus != 0)
        return State::Failed;
    if (m_phase == Phase::Head) {
        const State s = parseHead();
        if (s != State::Ready)
            return s;
    }
    if (m_phase == Phase::Chunked)
        return readChunked(request);
    if (m_buffer.size() < m_bodyLength)
        return State::NeedMore;
    m_current.body = m_buffer.left(m_bodyLength);
    m_buffer.remove(0, m_bodyLength);
    m_phase = Phase::Head;
    m_continuePending = false;
    *request = std::move(m_current);
    m_current = HttpRequest{};
    return State::Ready;
}

} // namespace hubsync::webhooks
