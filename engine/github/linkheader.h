#pragma once

#include <QByteArrayView>
#include <QUrl>

namespace hubsync::github {

// The relations of one Link header (RFC 8288) as GitHub writes it for paginated lists:
//   <https://api.github.com/repositories/1/issues?per_page=3&page=2>; rel="next", <...>; rel="last"
struct LinkSet {
    QUrl next;
    QUrl prev;
    QUrl first;
    QUrl last;
};

// Parses a Link header. Tolerates spacing, ordering, unquoted rel values and several rels in one value.
// Anything malformed (missing brackets, oversized header, relative URLs) yields an empty set rather than
// a guess: a wrong "next" would silently skip or repeat pages.
LinkSet parseLinkHeader(QByteArrayView header);

// The "page" query parameter of a pagination URL, or -1 when absent or not a positive number.
qint64 pageNumber(const QUrl &url);

// True when `candidate` points inside the API at `base`: same scheme, host and port, no user info, and a
// path under the base path (e.g. /api/v3 on GitHub Enterprise Server). Credentials are only ever sent to
// such URLs, so a hostile Link or redirect cannot make us hand the token to another host.
bool isSameApiOrigin(const QUrl &candidate, const QUrl &base);

} // namespace hubsync::github
