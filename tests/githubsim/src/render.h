#pragma once

#include "jsonwriter.h"
#include "world.h"

#include <QHash>

namespace hubsync::githubsim {

// GitHub's REST JSON shapes for the world's records, in GitHub's key order (see
// ../shared/github-fixtures/rest/examples). URLs point at the simulator: API URLs at the root,
// html_url at <base>/<owner>/<repo>/..., as GitHub's github.com pages are to api.github.com.
class Renderer final {
public:
    explicit Renderer(const World &world);
    Q_DISABLE_COPY_MOVE(Renderer)

    void setBaseUrl(const QString &baseUrl);
    [[nodiscard]] const QString &baseUrl() const { return m_base; }

    void user(JsonWriter &w, int u) const;
    void owner(JsonWriter &w, const Repo &r) const;
    void repository(JsonWriter &w, const Repo &r, bool withPermissions = true) const;
    void repositoryMinimal(JsonWriter &w, const Repo &r) const; // webhooks' repositories_added shape
    void label(JsonWriter &w, const Repo &r, const Label &l) const;
    void issue(JsonWriter &w, const Repo &r, const Issue &i) const;
    void pull(JsonWriter &w, const Repo &r, const Issue &i) const;
    void comment(JsonWriter &w, const Repo &r, const Comment &c) const;
    void reaction(JsonWriter &w, const Reaction &x) const;
    void reactionRollup(JsonWriter &w, const QString &url, const QList<Reaction> &reactions) const;
    void commit(JsonWriter &w, const Repo &r, qint64 k) const;
    void release(JsonWriter &w, const Repo &r, const Release &rel) const;
    void ref(JsonWriter &w, const Repo &r, const Ref &x) const;
    void branch(JsonWriter &w, const Repo &r, const Ref &x) const;
    void tag(JsonWriter &w, const Repo &r, const Ref &x) const;
    void discussion(JsonWriter &w, const Repo &r, const Discussion &d) const; // webhook (REST-like) shape
    void discussionComment(JsonWriter &w, const Repo &r, const Discussion &d, const DiscussionComment &c) const;

    [[nodiscard]] QString repoApi(const Repo &r) const { return m_base + QStringLiteral("/repos/") + r.fullName(); }
    [[nodiscard]] QString repoHtml(const Repo &r) const { return m_base + QLatin1Char('/') + r.fullName(); }

private:
    const World &m_world;
    QString m_base;
    // Rendered users and repositories are reused across items (a page of 100 issues embeds ~300 users).
    mutable QHash<int, QByteArray> m_userCache;
    mutable QHash<int, QByteArray> m_repoCache;
    mutable quint64 m_repoCacheVersion = 0;
};

} // namespace hubsync::githubsim
