#include "github/linkheader.h"

#include <QList>
#include <QUrlQuery>

namespace hubsync::github {

namespace {

// GitHub's Link headers are a few hundred bytes; anything far larger is not pagination.
constexpr qsizetype MaxLinkHeaderBytes = 16 * 1024;
constexpr int MaxLinks = 32;

bool isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

class Cursor {
public:
    explicit Cursor(QByteArrayView text)
        : m_text(text) {}
    void skipSpace() {
        while (m_pos < m_text.size() && isSpace(m_text[m_pos]))
            ++m_pos;
    }
    [[nodiscard]] bool atEnd() const { return m_pos >= m_text.size(); }
    [[nodiscard]] char peek() const { return atEnd() ? '\0' : m_text[m_pos]; }
    void advance() { ++m_pos; }
    // Reads up to (not including) the first of `stops` outside quotes; returns the trimmed token.
    QByteArrayView token(QByteArrayView stops) {
        const qsizetype start = m_pos;
        while (!atEnd() && !stops.contains(m_text[m_pos]))
            ++m_pos;
        return m_text.sliced(start, m_pos - start).trimmed();
    }
    // Reads a quoted string (after the opening quote); returns false when it is not terminated.
    bool quoted(QByteArrayView *out) {
        const qsizetype start = m_pos;
        while (!atEnd() && m_text[m_pos] != '"')
            ++m_pos;
        if (atEnd())
            return false;
        *out = m_text.sliced(start, m_pos - start);
        ++m_pos;
        return true;
    }

private:
    QByteArrayView m_text;
    qsizetype m_pos = 0;
};

struct RawLink {
    QByteArrayView target;
    QList<QByteArrayView> rels;
};

// Parses `<uri> *( ";" param )` entries separated by commas. Returns false on any syntax error.
bool parseEntries(QByteArrayView header, QList<RawLink> *links) {
    Cursor c(header);
    while (true) {
        c.skipSpace();
        while (c.peek() == ',') { // empty list elements are allowed by RFC 9110 list syntax
            c.advance();
            c.skipSpace();
        }
        if (c.atEnd())
            return true;
        if (c.peek() != '<' || links->size() >= MaxLinks)
            return false;
        c.advance();
        RawLink link;
        link.target = c.token(">");
        if (c.peek() != '>')
            return false;
        c.advance();
        while (true) {
            c.skipSpace();
            if (c.atEnd() || c.peek() == ',')
                break;
            if (c.peek() != ';')
                return false;
            c.advance();
            const QByteArrayView name = c.token("=;,");
            QByteArrayView value;
            if (c.peek() == '=') {
                c.advance();
                c.skipSpace();
                if (c.peek() == '"') {
                    c.advance();
                    if (!c.quoted(&value))
                        return false;
                } else {
                    value = c.token(";,");
                }
            }
            if (name.compare("rel", Qt::CaseInsensitive) == 0) {
                qsizetype start = 0;
                for (qsizetype i = 0; i <= value.size(); ++i) {
                    if (i == value.size() || isSpace(value[i])) {
                        if (i > start)
                            link.rels.append(value.sliced(start, i - start));
                        start = i + 1;
                    }
                }
            }
        }
        links->append(link);
    }
}

} // namespace

LinkSet parseLinkHeader(QByteArrayView header) {
    LinkSet set;
    if (header.isEmpty() || header.size() > MaxLinkHeaderBytes)
        return set;
    QList<RawLink> links;
    if (!parseEntries(header, &links))
        return set;
    for (const RawLink &link : std::as_const(links)) {
        const QUrl url(QString::fromLatin1(link.target), QUrl::StrictMode);
        if (!url.isValid() || url.isRelative() || url.host().isEmpty())
            continue;
        for (const QByteArrayView rel : link.rels) {
            QUrl *slot = nullptr;
            if (rel.compare("next", Qt::CaseInsensitive) == 0)
                slot = &set.next;
            else if (rel.compare("prev", Qt::CaseInsensitive) == 0 || rel.compare("previous", Qt::CaseInsensitive) == 0)
                slot = &set.prev;
            else if (rel.compare("first", Qt::CaseInsensitive) == 0)
                slot = &set.first;
            else if (rel.compare("last", Qt::CaseInsensitive) == 0)
                slot = &set.last;
            if (slot && slot->isEmpty()) // the first occurrence wins, as RFC 8288 readers usually do
                *slot = url;
        }
    }
    return set;
}

qint64 pageNumber(const QUrl &url) {
    const QUrlQuery query(url);
    if (!query.hasQueryItem(QStringLiteral("page")))
        return -1;
    bool ok = false;
    const qint64 page = query.queryItemValue(QStringLiteral("page")).toLongLong(&ok);
    return ok && page > 0 ? page : -1;
}

bool isSameApiOrigin(const QUrl &candidate, const QUrl &base) {
    if (!candidate.isValid() || candidate.isRelative() || !candidate.userInfo().isEmpty())
        return false;
    const QString scheme = candidate.scheme().toLower();
    if (scheme != base.scheme().toLower() || (scheme != QLatin1String("https") && scheme != QLatin1String("http")))
        return false;
    if (candidate.host().compare(base.host(), Qt::CaseInsensitive) != 0 || candidate.host().isEmpty())
        return false;
    const int defaultPort = scheme == QLatin1String("https") ? 443 : 80;
    if (candidate.port(defaultPort) != base.port(defaultPort))
        return false;
    QString basePath = base.path();
    while (basePath.endsWith(QLatin1Char('/')))
        basePath.chop(1);
    if (basePath.isEmpty())
        return true;
    const QString path = candidate.path();
    if (path.contains(QLatin1String("/../")) || path.endsWith(QLatin1String("/..")))
        return false; // would climb out of /api/v3 once a server normalises it
    return path == basePath || path.startsWith(basePath + QLatin1Char('/'));
}

} // namespace hubsync::github
