#pragma once

#include <QByteArray>
#include <QHash>
#include <QString>

#include <optional>

namespace hubsync::github {

// What a conditional GET sends back: If-None-Match (and the Last-Modified GitHub gave, kept for callers).
struct EtagEntry {
    QByteArray etag;
    QByteArray lastModified;
};

// Remembers the validators of GET responses by full request URL, so a repeat request can be
// conditional: a 304 costs no quota on GitHub. Implementations are used from one thread.
class EtagStore {
public:
    virtual ~EtagStore() = default;
    [[nodiscard]] virtual std::optional<EtagEntry> lookup(const QString &url) = 0;
    virtual void store(const QString &url, const EtagEntry &entry) = 0;
    virtual void remove(const QString &url) = 0;

    // Validators worth keeping: a bounded printable header value, and a URL we can key on.
    static bool isStorable(const QString &url, const EtagEntry &entry);
};

// For tests and for runs without a database; bounded so a long-running process cannot grow it forever.
class MemoryEtagStore final : public EtagStore {
public:
    explicit MemoryEtagStore(qsizetype maxEntries = 100'000);
    Q_DISABLE_COPY_MOVE(MemoryEtagStore)
    ~MemoryEtagStore() override = default;

    [[nodiscard]] std::optional<EtagEntry> lookup(const QString &url) override;
    void store(const QString &url, const EtagEntry &entry) override;
    void remove(const QString &url) override;
    [[nodiscard]] qsizetype size() const { return m_entries.size(); }

private:
    qsizetype m_maxEntries;
    QHash<QString, EtagEntry> m_entries;
};

} // namespace hubsync::github
