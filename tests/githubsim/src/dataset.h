#pragma once

#include <QString>

#include <optional>

namespace hubsync::githubsim {

// Sizes of the generated world. Every generated record is a pure function of (seed, repository slot,
// index): a million records cost no memory until something changes them.
struct DatasetSpec {
    QString owner = QStringLiteral("octo-org");
    int repos = 3;
    int issuesPerRepo = 12;
    int pullsPerRepo = 6;
    int commentsPerIssue = 2; // on issues and pull requests alike
    int commitsPerRepo = 20;
    int releasesPerRepo = 3; // each with its tag
    int labelsPerRepo = 8;
    int branchesPerRepo = 3;
    int discussionsPerRepo = 3;
    int commentsPerDiscussion = 2;
    int users = 12;
    int reactionPercent = 50; // share of issues/PRs (and half that of comments) that carry reactions
    quint64 seed = 1;

    static std::optional<DatasetSpec> named(const QString &name);
    [[nodiscard]] qint64 recordCount() const; // records the eleven collections hold (users excluded)
    [[nodiscard]] QString validate() const;   // empty when usable
};

// splitmix64 over the seed and up to three coordinates: the source of every generated choice.
quint64 mix(quint64 seed, quint64 a, quint64 b = 0, quint64 c = 0);

// GitHub's legacy global node ids: base64("0<len(type)>:<type><id>"), e.g. MDU6SXNzdWUx = "05:Issue1".
QString nodeId(const char *type, qint64 id);
QString nodeId(const char *type, const QString &key);
// Inverse of nodeId(): the type and the key text; false when the id is not one of ours.
bool parseNodeId(const QString &id, QString *type, QString *key);

// Id spaces: ids are unique per object type; the repository slot is encoded so lookups are O(1).
namespace ids {
constexpr qint64 slotStride = 100'000'000;
constexpr qint64 repository = 1'296'269;
constexpr qint64 issue = 10'000'000'000;
constexpr qint64 pull = 20'000'000'000;
constexpr qint64 comment = 30'000'000'000;
constexpr qint64 reaction = 40'000'000'000; // stride 1e9 (see World)
constexpr qint64 label = 50'000'000'000;
constexpr qint64 release = 60'000'000'000;
constexpr qint64 discussion = 70'000'000'000;
constexpr qint64 discussionComment = 80'000'000'000;
constexpr qint64 user = 100'000;
constexpr qint64 organization = 9'919;
} // namespace ids

} // namespace hubsync::githubsim
