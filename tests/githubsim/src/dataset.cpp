#include "dataset.h"

#include <QByteArray>

namespace hubsync::githubsim {

std::optional<DatasetSpec> DatasetSpec::named(const QString &name) {
    DatasetSpec s;
    if (name == QLatin1String("small"))
        return s;
    if (name == QLatin1String("medium")) {
        s.repos = 6;
        s.issuesPerRepo = 400;
        s.pullsPerRepo = 150;
        s.commentsPerIssue = 3;
        s.commitsPerRepo = 600;
        s.releasesPerRepo = 20;
        s.labelsPerRepo = 12;
        s.branchesPerRepo = 10;
        s.discussionsPerRepo = 30;
        s.commentsPerDiscussion = 3;
        s.users = 60;
        s.reactionPercent = 20;
        return s;
    }
    if (name == QLatin1String("large")) { // about 1.1 million records
        s.repos = 20;
        s.issuesPerRepo = 20000;
        s.pullsPerRepo = 5000;
        s.commentsPerIssue = 1;
        s.commitsPerRepo = 4000;
        s.releasesPerRepo = 100;
        s.labelsPerRepo = 20;
        s.branchesPerRepo = 50;
        s.discussionsPerRepo = 200;
        s.commentsPerDiscussion = 2;
        s.users = 1000;
        s.reactionPercent = 5; // closer to real projects, where most issues have no reactions
        return s;
    }
    return std::nullopt;
}

qint64 DatasetSpec::recordCount() const {
    const qint64 threads = qint64(issuesPerRepo) + pullsPerRepo;
    // Reactions: reactionPercent of threads and half of that of comments, two on average.
    const qint64 reactions =
        threads * reactionPercent / 100 * 2 + threads * commentsPerIssue * reactionPercent / 200 * 2;
    const qint64 perRepo = 1 + threads + threads * commentsPerIssue + commitsPerRepo + releasesPerRepo * 2LL +
                           labelsPerRepo + branchesPerRepo + discussionsPerRepo * (1LL + commentsPerDiscussion) +
                           reactions;
    return perRepo * repos;
}

QString DatasetSpec::validate() const {
    if (repos < 0 || repos > 10000)
        return QStringLiteral("--repos must be 0..10000");
    if (issuesPerRepo < 0 || pullsPerRepo < 0 || qint64(issuesPerRepo) + pullsPerRepo > 10'000'000)
        return QStringLiteral("issues + pull requests per repository must be 0..10000000");
    if (commentsPerIssue < 0 || (qint64(issuesPerRepo) + pullsPerRepo) * commentsPerIssue > 90'000'000)
        return QStringLiteral("comments per repository must stay under 90000000");
    if (commitsPerRepo < 0 || commitsPerRepo > 10'000'000)
        return QStringLiteral("--commits-per-repo must be 0..10000000");
    if (releasesPerRepo < 0 || releasesPerRepo > 100000 || labelsPerRepo < 0 || labelsPerRepo > 10000 ||
        branchesPerRepo < 0 || branchesPerRepo > 100000)
        return QStringLiteral("releases, labels and branches per repository are limited to 100000, 10000, 100000");
    if (discussionsPerRepo < 0 || discussionsPerRepo > 100000 || commentsPerDiscussion < 0 ||
        commentsPerDiscussion > 999)
        return QStringLiteral("discussions per repository must be 0..100000 with 0..999 comments each");
    if (users < 1 || users > 1'000'000)
        return QStringLiteral("--users must be 1..1000000");
    if (reactionPercent < 0 || reactionPercent > 100)
        return QStringLiteral("--reaction-percent must be 0..100");
    if (owner.isEmpty() || owner.size() > 39)
        return QStringLiteral("--owner must be a GitHub login");
    return {};
}

quint64 mix(quint64 seed, quint64 a, quint64 b, quint64 c) {
    quint64 z = seed * 0x9E3779B97F4A7C15ull ^ (a + 0x632BE59BD9B4E019ull) * 0xBF58476D1CE4E5B9ull ^
                (b + 0x85157AF5ull) * 0x94D049BB133111EBull ^ (c + 0x2545F4914F6CDD1Dull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

QString nodeId(const char *type, const QString &key) {
    const QByteArray t(type);
    const QByteArray raw = '0' + QByteArray::number(t.size()) + ':' + t + key.toUtf8();
    return QString::fromLatin1(raw.toBase64());
}

QString nodeId(const char *type, qint64 id) {
    return nodeId(type, QString::number(id));
}

bool parseNodeId(const QString &id, QString *type, QString *key) {
    if (id.size() > 200)
        return false;
    const auto decoded = QByteArray::fromBase64Encoding(id.toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return false;
    const QByteArray raw = *decoded;
    const qsizetype colon = raw.indexOf(':');
    if (colon < 2 || raw.at(0) != '0')
        return false;
    bool ok = false;
    const int length = raw.mid(1, colon - 1).toInt(&ok);
    if (!ok || length <= 0 || colon + 1 + length > raw.size())
        return false;
    *type = QString::fromLatin1(raw.mid(colon + 1, length));
    *key = QString::fromUtf8(raw.mid(colon + 1 + length));
    return !key->isEmpty();
}

} // namespace hubsync::githubsim
