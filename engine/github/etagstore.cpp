#include "github/etagstore.h"

namespace hubsync::github {

namespace {

constexpr qsizetype MaxUrlChars = 4096;
constexpr qsizetype MaxValidatorBytes = 512;

bool printable(const QByteArray &value) {
    for (const char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u > 0x7e)
            return false;
    }
    return true;
}

} // namespace

bool EtagStore::isStorable(const QString &url, const EtagEntry &entry) {
    return !url.isEmpty() && url.size() <= MaxUrlChars && !entry.etag.isEmpty() &&
           entry.etag.size() <= MaxValidatorBytes && printable(entry.etag) &&
           entry.lastModified.size() <= MaxValidatorBytes && printable(entry.lastModified);
}

MemoryEtagStore::MemoryEtagStore(qsizetype maxEntries)
    : m_maxEntries(std::max<qsizetype>(1, maxEntries)) {}

std::optional<EtagEntry> MemoryEtagStore::lookup(const QString &url) {
    const auto it = m_entries.constFind(url);
    if (it == m_entries.cend())
        return std::nullopt;
    return *it;
}

void MemoryEtagStore::store(const QString &url, const EtagEntry &entry) {
    if (!isStorable(url, entry))
        return;
    if (m_entries.size() >= m_maxEntries && !m_entries.contains(url))
        m_entries.erase(m_entries.begin()); // any victim will do: a lost ETag only costs one full response
    m_entries.insert(url, entry);
}

void MemoryEtagStore::remove(const QString &url) {
    m_entries.remove(url);
}

} // namespace hubsync::github
