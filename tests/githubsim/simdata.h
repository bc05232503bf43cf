#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QSet>
#include <QString>

#include <map>
#include <optional>

namespace githubsim {

// Sizes of the generated world. Every record is a pure function of (seed, repository, index), so a
// million records cost no memory until something changes them; changes live in small overlays.
struct DatasetSpec {
    QString owner = QStringLiteral("octo-org");
    int repos = 3;
    int issues = 12;      // per repository (issue numbers 1..issues)
    int pulls = 6;        // per repository (numbers issues+1..issues+pulls)
    int commentsPerIssue = 2;
    int commits = 20;
    int releases = 3;
    int labels = 6;
    int branches = 3;
    int discussions = 3;
    int discussionComments = 2;
    int issueReactionEvery = 5;    // every Nth issue/PR carries two reactions
    int commentReactionEvery = 7;  // every Nth issue's first comment carries one
    quint64 seed = 1;

    static std::optional<DatasetSpec> named(const QString &name);
    [[nodiscard]] qint64 approximateRecords() const;
};

// The simulated GitHub: generated records plus the overlay of everything created, edited or deleted
// since start. JSON shapes follow GitHub's REST examples.
class World final {
public:
    World(DatasetSpec spec, QString baseUrl);

    const DatasetSpec &spec() const { return m_spec; }
    void setBaseUrl(const QString &url) { m_base = url; }
    [[nodiscard]] QString baseUrl() const { return m_base; }

    // Repositories
    [[nodiscard]] int repoIndex(const QString &owner, const QString &name) const; // -1 if unknown
    [[nodiscard]] QJsonObject repository(int r) const;
    [[nodiscard]] QString repoName(int r) const;

    // Issues and pull requests share the issue number space. Sorted walks return numbers.
    [[nodiscard]] std::optional<QJsonObject> issue(int r, qint64 number) const; // nullopt: missing or deleted
    [[nodiscard]] std::optional<QJsonObject> pull(int r, qint64 number) const;
    [[nodiscard]] bool isPull(int r, qint64 number) const;
    // Numbers of live issues (and PRs when withPulls), ordered by updated_at ascending, updated_at >= since.
    [[nodiscard]] QList<qint64> issueNumbersByUpdate(int r, bool withPulls, bool pullsOnly, const QDateTime &since,
                                                     const QString &state) const;

    // Comments (conversation comments on issues), repository-wide, by update ascending.
    [[nodiscard]] qint64 commentCount(int r) const;
    [[nodiscard]] QList<QJsonObject> commentsByUpdate(int r, const QDateTime &since, qint64 offset, qint64 limit, qint64 *total) const;
    [[nodiscard]] QList<QJsonObject> commentsOfIssue(int r, qint64 number) const;
    [[nodiscard]] std::optional<QJsonObject> comment(int r, qint64 id) const;

    [[nodiscard]] QList<QJsonObject> reactionsOfIssue(int r, qint64 number) const;
    [[nodiscard]] QList<QJsonObject> reactionsOfComment(int r, qint64 id) const;

    [[nodiscard]] QJsonObject commit(int r, int k) const; // k = 0 newest
    [[nodiscard]] QJsonObject release(int r, int k) const;
    [[nodiscard]] QList<QJsonObject> labels(int r) const;
    [[nodiscard]] QList<QJsonObject> refs(int r) const;
    [[nodiscard]] QJsonObject discussion(int r, int d) const; // GraphQL shape, without comments
    [[nodiscard]] QList<QJsonObject> discussionComments(int r, int d) const;

    // Changes "as another user" (control API) or through the REST API.
    QJsonObject createIssue(int r, const QJsonObject &fields);
    std::optional<QJsonObject> editIssue(int r, qint64 number, const QJsonObject &fields);
    bool deleteIssue(int r, qint64 number);
    bool deleteLabel(int r, const QString &name);
    [[nodiscard]] std::optional<std::pair<int, qint64>> issueByNodeId(const QString &nodeId) const;

    static QJsonObject user(int u);
    [[nodiscard]] QString now();

private:
    [[nodiscard]] QJsonObject generatedIssue(int r, qint64 number) const;
    [[nodiscard]] QJsonObject labelObject(int r, int l) const;
    [[nodiscard]] QString sha(int r, int k) const;
    [[nodiscard]] QString url(const QString &path) const { return m_base + path; }
    [[nodiscard]] QString htmlUrl(const QString &path) const { return m_base + QStringLiteral("/web") + path; }

    DatasetSpec m_spec;
    QString m_base;
    QDateTime m_epoch;
    QDateTime m_lastStamp;
    // Overlays: per repository, issue number -> current object (std::nullopt = deleted).
    QList<std::map<qint64, std::optional<QJsonObject>>> m_issueOverlay;
    QList<qint64> m_nextNumber;
    QList<QSet<QString>> m_deletedLabels;
};

QString isoTime(const QDateTime &t);

} // namespace githubsim
