#include "simdata.h"

#include <QCryptographicHash>

#include <algorithm>

namespace githubsim {

namespace {

constexpr int userCount = 40;
constexpr qint64 issueSpacingSecs = 600;
const char *const reactionContents[] = {"+1", "heart", "rocket", "laugh", "hooray", "eyes", "confused", "-1"};

QString nodeId(const char *prefix, qint64 id)
{
    return QString::fromLatin1(prefix) + QString::fromLatin1(QByteArray::number(id).toBase64(QByteArray::Base64UrlEncoding |
                                                                                               QByteArray::OmitTrailingEquals));
}

QJsonObject rollup(const QString &url, const QList<QJsonObject> &reactions)
{
    QJsonObject r{{QStringLiteral("url"), url}, {QStringLiteral("total_count"), reactions.size()}};
    for (const char *c : reactionContents)
        r.insert(QString::fromLatin1(c), 0);
    for (const QJsonObject &x : reactions) {
        const QString c = x.value(QStringLiteral("content")).toString();
        r.insert(c, r.value(c).toInt() + 1);
    }
    return r;
}

} // namespace

QString isoTime(const QDateTime &t) { return t.toUTC().toString(Qt::ISODate); }

std::optional<DatasetSpec> DatasetSpec::named(const QString &name)
{
    DatasetSpec s;
    if (name == QStringLiteral("small"))
        return s;
    if (name == QStringLiteral("medium")) {
        s.repos = 6;
        s.issues = 400;
        s.pulls = 150;
        s.commentsPerIssue = 3;
        s.commits = 600;
        s.releases = 20;
        s.labels = 12;
        s.branches = 10;
        s.discussions = 30;
        s.discussionComments = 3;
        return s;
    }
    if (name == QStringLiteral("large")) { // about 1.2 million records
        s.repos = 20;
        s.issues = 20000;
        s.pulls = 5000;
        s.commentsPerIssue = 1;
        s.commits = 4000;
        s.releases = 100;
        s.labels = 20;
        s.branches = 50;
        s.discussions = 200;
        s.discussionComments = 2;
        s.issueReactionEvery = 20; // closer to real projects, where most issues have no reactions
        s.commentReactionEvery = 50;
        return s;
    }
    return std::nullopt;
}

qint64 DatasetSpec::approximateRecords() const
{
    const qint64 perRepo = issues + pulls + qint64(issues) * commentsPerIssue + commits + releases * 2 + labels + branches +
                           discussions * (1 + discussionComments) + ((issues + pulls) / issueReactionEvery) * 2 +
                           issues / commentReactionEvery;
    return repos * (perRepo + 1);
}

World::World(DatasetSpec spec, QString baseUrl)
    : m_spec(std::move(spec))
    , m_base(std::move(baseUrl))
    , m_epoch(QDate(2020, 1, 1).startOfDay(Qt::UTC))
{
    m_issueOverlay.resize(m_spec.repos);
    m_deletedLabels.resize(m_spec.repos);
    for (int r = 0; r < m_spec.repos; ++r)
        m_nextNumber << qint64(m_spec.issues + m_spec.pulls + 1);
    m_lastStamp = QDateTime::currentDateTimeUtc();
}

QString World::now()
{
    // updated_at moves on every change, strictly: two changes in one second get distinct stamps.
    QDateTime t = QDateTime::currentDateTimeUtc();
    t = t.addMSecs(-t.time().msec());
    if (t <= m_lastStamp)
        t = m_lastStamp.addSecs(1);
    m_lastStamp = t;
    return isoTime(t);
}

QJsonObject World::user(int u)
{
    u = ((u % userCount) + userCount) % userCount;
    const qint64 id = 583231 + u;
    const QString login = QStringLiteral("user-%1").arg(u);
    return QJsonObject{{QStringLiteral("login"), login},
                       {QStringLiteral("id"), id},
                       {QStringLiteral("node_id"), nodeId("MDQ6VXNlcj", id)},
                       {QStringLiteral("avatar_url"), QStringLiteral("https://avatars.example/u/%1").arg(id)},
                       {QStringLiteral("type"), QStringLiteral("User")},
                       {QStringLiteral("site_admin"), false}};
}

int World::repoIndex(const QString &owner, const QString &name) const
{
    if (owner != m_spec.owner || !name.startsWith(QStringLiteral("repo-")))
        return -1;
    bool ok = false;
    const int r = name.mid(5).toInt(&ok);
    return ok && r >= 0 && r < m_spec.repos && name == repoName(r) ? r : -1;
}

QString World::repoName(int r) const { return QStringLiteral("repo-%1").arg(r); }

QJsonObject World::repository(int r) const
{
    const qint64 id = 1296269 + r;
    const QString full = m_spec.owner + QLatin1Char('/') + repoName(r);
    const QJsonObject owner{{QStringLiteral("login"), m_spec.owner},
                            {QStringLiteral("id"), 9919},
                            {QStringLiteral("node_id"), QStringLiteral("MDEyOk9yZ2FuaXphdGlvbjk5MTk=")},
                            {QStringLiteral("type"), QStringLiteral("Organization")},
                            {QStringLiteral("site_admin"), false}};
    return QJsonObject{{QStringLiteral("id"), id},
                       {QStringLiteral("node_id"), nodeId("MDEwOlJlcG9zaXRvcnk", id)},
                       {QStringLiteral("name"), repoName(r)},
                       {QStringLiteral("full_name"), full},
                       {QStringLiteral("owner"), owner},
                       {QStringLiteral("private"), r % 2 == 1},
                       {QStringLiteral("visibility"), r % 2 == 1 ? QStringLiteral("private") : QStringLiteral("public")},
                       {QStringLiteral("html_url"), htmlUrl(QStringLiteral("/") + full)},
                       {QStringLiteral("description"), QStringLiteral("Generated repository %1").arg(r)},
                       {QStringLiteral("fork"), false},
                       {QStringLiteral("url"), url(QStringLiteral("/repos/") + full)},
                       {QStringLiteral("homepage"), QJsonValue()},
                       {QStringLiteral("language"), r % 3 == 0 ? QStringLiteral("C++") : QStringLiteral("Python")},
                       {QStringLiteral("default_branch"), QStringLiteral("main")},
                       {QStringLiteral("archived"), false},
                       {QStringLiteral("disabled"), false},
                       {QStringLiteral("has_issues"), true},
                       {QStringLiteral("has_discussions"), m_spec.discussions > 0},
                       {QStringLiteral("topics"), QJsonArray{QStringLiteral("sync"), QStringLiteral("demo")}},
                       {QStringLiteral("stargazers_count"), 10 * r},
                       {QStringLiteral("watchers_count"), 10 * r},
                       {QStringLiteral("forks_count"), r},
                       {QStringLiteral("open_issues_count"), m_spec.issues / 2},
                       {QStringLiteral("size"), 1024},
                       {QStringLiteral("pushed_at"), isoTime(m_epoch.addDays(400))},
                       {QStringLiteral("created_at"), isoTime(m_epoch.addDays(-30 - r))},
                       {QStringLiteral("updated_at"), isoTime(m_epoch.addDays(400))}};
}

QJsonObject World::labelObject(int r, int l) const
{
    static const QStringList names{QStringLiteral("bug"), QStringLiteral("enhancement"), QStringLiteral("documentation"),
                                   QStringLiteral("question"), QStringLiteral("good first issue"), QStringLiteral("help wanted")};
    const QString name = l < names.size() ? names[l] : QStringLiteral("area-%1").arg(l);
    const qint64 id = 208045946 + r * 1000 + l;
    return QJsonObject{{QStringLiteral("id"), id},
                       {QStringLiteral("node_id"), nodeId("MDU6TGFiZWw", id)},
                       {QStringLiteral("url"), url(QStringLiteral("/repos/%1/%2/labels/%3").arg(m_spec.owner, repoName(r), name))},
                       {QStringLiteral("name"), name},
                       {QStringLiteral("description"), QStringLiteral("Label %1").arg(l)},
                       {QStringLiteral("color"), QStringLiteral("%1").arg((l * 2654435761u) & 0xffffff, 6, 16, QLatin1Char('0'))},
                       {QStringLiteral("default"), l < 2}};
}

QList<QJsonObject> World::labels(int r) const
{
    QList<QJsonObject> list;
    for (int l = 0; l < m_spec.labels; ++l) {
        QJsonObject label = labelObject(r, l);
        if (!m_deletedLabels[r].contains(label.value(QStringLiteral("name")).toString()))
            list << label;
    }
    return list;
}

bool World::isPull(int r, qint64 number) const
{
    Q_UNUSED(r)
    return number > m_spec.issues && number <= m_spec.issues + m_spec.pulls;
}

QList<QJsonObject> World::reactionsOfIssue(int r, qint64 number) const
{
    QList<QJsonObject> list;
    if (number % m_spec.issueReactionEvery != 0 || number > m_spec.issues + m_spec.pulls)
        return list;
    for (int i = 0; i < 2; ++i) {
        const qint64 id = 1000000000LL + r * 10000000LL + number * 10 + i;
        list << QJsonObject{{QStringLiteral("id"), id},
                            {QStringLiteral("node_id"), nodeId("MDg6UmVhY3Rpb24", id)},
                            {QStringLiteral("user"), user(int(number) + i)},
                            {QStringLiteral("content"), QString::fromLatin1(reactionContents[(number + i) % 8])},
                            {QStringLiteral("created_at"), isoTime(m_epoch.addSecs(number * issueSpacingSecs + 120 + i))}};
    }
    return list;
}

QJsonObject World::generatedIssue(int r, qint64 number) const
{
    const bool pr = isPull(r, number);
    const qint64 id = 1000000LL + r * 1000000LL + number;
    const QDateTime created = m_epoch.addSecs(number * issueSpacingSecs);
    const QString full = m_spec.owner + QLatin1Char('/') + repoName(r);
    const QString api = url(QStringLiteral("/repos/%1/issues/%2").arg(full).arg(number));
    QJsonArray labelArray;
    if (m_spec.labels > 0) {
        for (const int l : {int(number % m_spec.labels), int((number + 1) % m_spec.labels)}) {
            if ((l == number % m_spec.labels && number % 3 == 0) || (l == (number + 1) % m_spec.labels && number % 4 == 0 && l != number % m_spec.labels)) {
                const QJsonObject label = labelObject(r, l);
                if (!m_deletedLabels[r].contains(label.value(QStringLiteral("name")).toString()))
                    labelArray.append(label);
            }
        }
    }
    const bool closed = number % 4 == 1;
    QJsonObject o{{QStringLiteral("url"), api},
                  {QStringLiteral("repository_url"), url(QStringLiteral("/repos/") + full)},
                  {QStringLiteral("labels_url"), api + QStringLiteral("/labels{/name}")},
                  {QStringLiteral("comments_url"), api + QStringLiteral("/comments")},
                  {QStringLiteral("events_url"), api + QStringLiteral("/events")},
                  {QStringLiteral("html_url"), htmlUrl(QStringLiteral("/%1/%2/%3").arg(full, pr ? QStringLiteral("pull") : QStringLiteral("issues")).arg(number))},
                  {QStringLiteral("id"), id},
                  {QStringLiteral("node_id"), nodeId("I_kwDO", id)},
                  {QStringLiteral("number"), number},
                  {QStringLiteral("title"), QStringLiteral("%1 %2 in repo %3").arg(pr ? QStringLiteral("Change") : QStringLiteral("Problem")).arg(number).arg(r)},
                  {QStringLiteral("user"), user(int(number * 7 + r))},
                  {QStringLiteral("labels"), labelArray},
                  {QStringLiteral("state"), closed ? QStringLiteral("closed") : QStringLiteral("open")},
                  {QStringLiteral("state_reason"), closed ? QJsonValue(QStringLiteral("completed")) : QJsonValue()},
                  {QStringLiteral("locked"), false},
                  {QStringLiteral("active_lock_reason"), QJsonValue()},
                  {QStringLiteral("assignee"), number % 2 ? QJsonValue(user(int(number))) : QJsonValue()},
                  {QStringLiteral("assignees"), number % 2 ? QJsonArray{user(int(number))} : QJsonArray()},
                  {QStringLiteral("milestone"), QJsonValue()},
                  {QStringLiteral("comments"), number <= m_spec.issues ? m_spec.commentsPerIssue : 0},
                  {QStringLiteral("created_at"), isoTime(created)},
                  {QStringLiteral("updated_at"), isoTime(created.addSecs(3600))},
                  {QStringLiteral("closed_at"), closed ? QJsonValue(isoTime(created.addSecs(3600))) : QJsonValue()},
                  {QStringLiteral("author_association"), QStringLiteral("MEMBER")},
                  {QStringLiteral("body"), QStringLiteral("Body of #%1.\nLine two with \"quotes\" and a tab\t.").arg(number)},
                  {QStringLiteral("reactions"), rollup(api + QStringLiteral("/reactions"), reactionsOfIssue(r, number))}};
    if (pr)
        o.insert(QStringLiteral("pull_request"),
                 QJsonObject{{QStringLiteral("url"), url(QStringLiteral("/repos/%1/pulls/%2").arg(full).arg(number))},
                             {QStringLiteral("html_url"), htmlUrl(QStringLiteral("/%1/pull/%2").arg(full).arg(number))},
                             {QStringLiteral("merged_at"), QJsonValue()}});
    return o;
}

std::optional<QJsonObject> World::issue(int r, qint64 number) const
{
    const auto &overlay = m_issueOverlay[r];
    const auto it = overlay.find(number);
    if (it != overlay.end())
        return it->second;
    if (number < 1 || number > m_spec.issues + m_spec.pulls)
        return std::nullopt;
    return generatedIssue(r, number);
}

std::optional<QJsonObject> World::pull(int r, qint64 number) const
{
    if (!isPull(r, number))
        return std::nullopt;
    const auto asIssue = issue(r, number);
    if (!asIssue)
        return std::nullopt;
    QJsonObject o = *asIssue;
    const QString full = m_spec.owner + QLatin1Char('/') + repoName(r);
    o.insert(QStringLiteral("id"), 2000000000LL + r * 1000000LL + number); // a PR's own id differs from its issue id
    o.insert(QStringLiteral("node_id"), nodeId("PR_kwDO", 2000000000LL + r * 1000000LL + number));
    o.insert(QStringLiteral("url"), url(QStringLiteral("/repos/%1/pulls/%2").arg(full).arg(number)));
    o.insert(QStringLiteral("issue_url"), url(QStringLiteral("/repos/%1/issues/%2").arg(full).arg(number)));
    o.remove(QStringLiteral("pull_request"));
    o.remove(QStringLiteral("reactions"));
    o.remove(QStringLiteral("repository_url"));
    o.insert(QStringLiteral("draft"), number % 6 == 0);
    const bool merged = o.value(QStringLiteral("state")).toString() == QStringLiteral("closed");
    o.insert(QStringLiteral("merged_at"), merged ? o.value(QStringLiteral("closed_at")) : QJsonValue());
    o.insert(QStringLiteral("merge_commit_sha"), merged ? QJsonValue(sha(r, int(number % qMax(1, m_spec.commits)))) : QJsonValue());
    const QJsonObject repo = repository(r);
    o.insert(QStringLiteral("head"), QJsonObject{{QStringLiteral("label"), m_spec.owner + QStringLiteral(":feature-%1").arg(number)},
                                                 {QStringLiteral("ref"), QStringLiteral("feature-%1").arg(number)},
                                                 {QStringLiteral("sha"), sha(r, int(number % qMax(1, m_spec.commits)))},
                                                 {QStringLiteral("repo"), repo}});
    o.insert(QStringLiteral("base"), QJsonObject{{QStringLiteral("label"), m_spec.owner + QStringLiteral(":main")},
                                                 {QStringLiteral("ref"), QStringLiteral("main")},
                                                 {QStringLiteral("sha"), sha(r, 0)},
                                                 {QStringLiteral("repo"), repo}});
    return o;
}

QList<qint64> World::issueNumbersByUpdate(int r, bool withPulls, bool pullsOnly, const QDateTime &since, const QString &state) const
{
    const auto &overlay = m_issueOverlay[r];
    const qint64 generated = m_spec.issues + m_spec.pulls;
    qint64 first = 1;
    if (since.isValid()) {
        // Generated updated_at(n) = epoch + n * spacing + 3600 is increasing in n.
        const qint64 secs = m_epoch.secsTo(since) - 3600;
        first = qMax<qint64>(1, secs <= 0 ? 1 : (secs + issueSpacingSecs - 1) / issueSpacingSecs);
    }
    const auto stateMatches = [&](const QJsonObject &o) {
        return state == QStringLiteral("all") || o.value(QStringLiteral("state")).toString() == state;
    };
    const auto kindMatches = [&](qint64 n) {
        const bool pr = isPull(r, n);
        return pullsOnly ? pr : (withPulls || !pr);
    };
    QList<qint64> numbers;
    for (qint64 n = first; n <= generated; ++n) {
        if (!kindMatches(n) || overlay.count(n))
            continue;
        if (state != QStringLiteral("all")) {
            const bool closed = n % 4 == 1;
            if ((state == QStringLiteral("closed")) != closed)
                continue;
        }
        numbers << n;
    }
    // Changed or created issues: their updated_at is later than every generated one.
    QList<QPair<QString, qint64>> changed;
    for (const auto &[n, object] : overlay) {
        if (!object || !kindMatches(n) || !stateMatches(*object))
            continue;
        const QString updated = object->value(QStringLiteral("updated_at")).toString();
        if (since.isValid() && QDateTime::fromString(updated, Qt::ISODate) < since)
            continue;
        changed << qMakePair(updated, n);
    }
    std::sort(changed.begin(), changed.end());
    for (const auto &c : changed)
        numbers << c.second;
    return numbers;
}

qint64 World::commentCount(int r) const
{
    Q_UNUSED(r)
    return qint64(m_spec.issues) * m_spec.commentsPerIssue;
}

namespace {
struct CommentKey {
    qint64 issue;
    int j;
};
} // namespace

static QJsonObject makeComment(const World &w, const DatasetSpec &spec, const QString &base, const QDateTime &epoch, int r, qint64 k,
                               const std::optional<QJsonObject> &issue)
{
    const qint64 number = k / spec.commentsPerIssue + 1;
    const int j = int(k % spec.commentsPerIssue);
    const qint64 id = 3000000000LL + r * 100000000LL + k;
    const QString full = spec.owner + QStringLiteral("/repo-%1").arg(r);
    const QString created = isoTime(epoch.addSecs(number * issueSpacingSecs + (j + 1) * 60));
    QList<QJsonObject> reactions;
    if (j == 0 && number % spec.commentReactionEvery == 0) {
        const qint64 rid = 5000000000LL + r * 100000000LL + k;
        reactions << QJsonObject{{QStringLiteral("id"), rid},
                                 {QStringLiteral("node_id"), nodeId("MDg6UmVhY3Rpb24", rid)},
                                 {QStringLiteral("user"), World::user(int(k))},
                                 {QStringLiteral("content"), QStringLiteral("heart")},
                                 {QStringLiteral("created_at"), created}};
    }
    Q_UNUSED(w)
    Q_UNUSED(issue)
    return QJsonObject{{QStringLiteral("id"), id},
                       {QStringLiteral("node_id"), nodeId("IC_kwDO", id)},
                       {QStringLiteral("url"), base + QStringLiteral("/repos/%1/issues/comments/%2").arg(full).arg(id)},
                       {QStringLiteral("html_url"), base + QStringLiteral("/web/%1/issues/%2#issuecomment-%3").arg(full).arg(number).arg(id)},
                       {QStringLiteral("issue_url"), base + QStringLiteral("/repos/%1/issues/%2").arg(full).arg(number)},
                       {QStringLiteral("user"), World::user(int(k * 3 + 1))},
                       {QStringLiteral("body"), QStringLiteral("Comment %1 on #%2").arg(j).arg(number)},
                       {QStringLiteral("author_association"), QStringLiteral("CONTRIBUTOR")},
                       {QStringLiteral("created_at"), created},
                       {QStringLiteral("updated_at"), created},
                       {QStringLiteral("reactions"), rollup(base + QStringLiteral("/repos/%1/issues/comments/%2/reactions").arg(full).arg(id), reactions)},
                       {QStringLiteral("_reactions"), [&] {
                            QJsonArray a;
                            for (const QJsonObject &x : reactions)
                                a.append(x);
                            return a;
                        }()}};
}

QList<QJsonObject> World::commentsByUpdate(int r, const QDateTime &since, qint64 offset, qint64 limit, qint64 *total) const
{
    // Comments of deleted issues are gone with them.
    QList<QJsonObject> list;
    const qint64 count = commentCount(r);
    qint64 first = 0;
    if (since.isValid() && m_spec.commentsPerIssue > 0) {
        const qint64 secs = m_epoch.secsTo(since);
        const qint64 number = qMax<qint64>(1, (secs - 60 * m_spec.commentsPerIssue) / issueSpacingSecs);
        first = qMax<qint64>(0, (number - 1) * m_spec.commentsPerIssue);
    }
    QList<qint64> ks;
    for (qint64 k = first; k < count; ++k) {
        const qint64 number = k / m_spec.commentsPerIssue + 1;
        const auto it = m_issueOverlay[r].find(number);
        if (it != m_issueOverlay[r].end() && !it->second)
            continue;
        if (since.isValid()) {
            const QDateTime created = m_epoch.addSecs(number * issueSpacingSecs + (k % m_spec.commentsPerIssue + 1) * 60);
            if (created < since)
                continue;
        }
        ks << k;
    }
    *total = ks.size();
    for (qint64 i = offset; i < qMin<qint64>(offset + limit, ks.size()); ++i) {
        QJsonObject c = makeComment(*this, m_spec, m_base, m_epoch, r, ks[i], std::nullopt);
        c.remove(QStringLiteral("_reactions"));
        list << c;
    }
    return list;
}

QList<QJsonObject> World::commentsOfIssue(int r, qint64 number) const
{
    QList<QJsonObject> list;
    if (number < 1 || number > m_spec.issues)
        return list;
    for (int j = 0; j < m_spec.commentsPerIssue; ++j) {
        QJsonObject c = makeComment(*this, m_spec, m_base, m_epoch, r, (number - 1) * m_spec.commentsPerIssue + j, std::nullopt);
        c.remove(QStringLiteral("_reactions"));
        list << c;
    }
    return list;
}

std::optional<QJsonObject> World::comment(int r, qint64 id) const
{
    const qint64 k = id - (3000000000LL + r * 100000000LL);
    if (k < 0 || k >= commentCount(r))
        return std::nullopt;
    QJsonObject c = makeComment(*this, m_spec, m_base, m_epoch, r, k, std::nullopt);
    c.remove(QStringLiteral("_reactions"));
    return c;
}

QList<QJsonObject> World::reactionsOfComment(int r, qint64 id) const
{
    QList<QJsonObject> list;
    const qint64 k = id - (3000000000LL + r * 100000000LL);
    if (k < 0 || k >= commentCount(r))
        return list;
    for (const QJsonValue &v : makeComment(*this, m_spec, m_base, m_epoch, r, k, std::nullopt).value(QStringLiteral("_reactions")).toArray())
        list << v.toObject();
    return list;
}

QString World::sha(int r, int k) const
{
    const QByteArray input = QByteArray::number(m_spec.seed) + ':' + QByteArray::number(r) + ':' + QByteArray::number(k);
    return QString::fromLatin1(QCryptographicHash::hash(input, QCryptographicHash::Sha1).toHex());
}

QJsonObject World::commit(int r, int k) const
{
    const QString s = sha(r, k);
    const QString full = m_spec.owner + QLatin1Char('/') + repoName(r);
    const QString date = isoTime(m_epoch.addSecs(qint64(m_spec.commits - k) * 3600));
    const QJsonObject author = user(k);
    const QJsonObject person{{QStringLiteral("name"), QStringLiteral("Author %1").arg(k % 40)},
                             {QStringLiteral("email"), QStringLiteral("author%1@example.com").arg(k % 40)},
                             {QStringLiteral("date"), date}};
    QJsonArray parents;
    if (k + 1 < m_spec.commits)
        parents.append(QJsonObject{{QStringLiteral("sha"), sha(r, k + 1)},
                                   {QStringLiteral("url"), url(QStringLiteral("/repos/%1/commits/%2").arg(full, sha(r, k + 1)))}});
    return QJsonObject{{QStringLiteral("sha"), s},
                       {QStringLiteral("node_id"), nodeId("C_kwDO", qint64(r) * 100000 + k)},
                       {QStringLiteral("url"), url(QStringLiteral("/repos/%1/commits/%2").arg(full, s))},
                       {QStringLiteral("html_url"), htmlUrl(QStringLiteral("/%1/commit/%2").arg(full, s))},
                       {QStringLiteral("commit"), QJsonObject{{QStringLiteral("author"), person},
                                                              {QStringLiteral("committer"), person},
                                                              {QStringLiteral("message"), QStringLiteral("Commit %1\n\nDetails.").arg(k)},
                                                              {QStringLiteral("tree"), QJsonObject{{QStringLiteral("sha"), sha(r, -k - 1)}}},
                                                              {QStringLiteral("comment_count"), 0}}},
                       {QStringLiteral("author"), k % 9 == 0 ? QJsonValue() : QJsonValue(author)},
                       {QStringLiteral("committer"), k % 9 == 0 ? QJsonValue() : QJsonValue(author)},
                       {QStringLiteral("parents"), parents}};
}

QJsonObject World::release(int r, int k) const
{
    const qint64 id = 1000000 + r * 10000 + k;
    const QString full = m_spec.owner + QLatin1Char('/') + repoName(r);
    const QString tag = QStringLiteral("v1.%1.0").arg(k);
    return QJsonObject{{QStringLiteral("id"), id},
                       {QStringLiteral("node_id"), nodeId("RE_kwDO", id)},
                       {QStringLiteral("url"), url(QStringLiteral("/repos/%1/releases/%2").arg(full).arg(id))},
                       {QStringLiteral("html_url"), htmlUrl(QStringLiteral("/%1/releases/tag/%2").arg(full, tag))},
                       {QStringLiteral("tag_name"), tag},
                       {QStringLiteral("target_commitish"), QStringLiteral("main")},
                       {QStringLiteral("name"), QStringLiteral("Release %1").arg(tag)},
                       {QStringLiteral("body"), QStringLiteral("Notes for %1").arg(tag)},
                       {QStringLiteral("draft"), false},
                       {QStringLiteral("prerelease"), k % 5 == 4},
                       {QStringLiteral("author"), user(k)},
                       {QStringLiteral("assets"), QJsonArray()},
                       {QStringLiteral("created_at"), isoTime(m_epoch.addDays(10 * (k + 1)))},
                       {QStringLiteral("published_at"), isoTime(m_epoch.addDays(10 * (k + 1)).addSecs(60))}};
}

QList<QJsonObject> World::refs(int r) const
{
    QList<QJsonObject> list;
    const QString full = m_spec.owner + QLatin1Char('/') + repoName(r);
    const auto ref = [&](const QString &name, int k, const QString &type) {
        const qint64 id = qint64(r) * 100000 + k;
        return QJsonObject{{QStringLiteral("ref"), name},
                           {QStringLiteral("node_id"), nodeId("REF_kwDO", id)},
                           {QStringLiteral("url"), url(QStringLiteral("/repos/%1/git/%2").arg(full, name))},
                           {QStringLiteral("object"), QJsonObject{{QStringLiteral("sha"), sha(r, k % qMax(1, m_spec.commits))},
                                                                  {QStringLiteral("type"), type},
                                                                  {QStringLiteral("url"), url(QStringLiteral("/repos/%1/git/commits/x").arg(full))}}}};
    };
    for (int b = 0; b < m_spec.branches; ++b)
        list << ref(b == 0 ? QStringLiteral("refs/heads/main") : QStringLiteral("refs/heads/feature-%1").arg(b), b, QStringLiteral("commit"));
    for (int k = 0; k < m_spec.releases; ++k)
        list << ref(QStringLiteral("refs/tags/v1.%1.0").arg(k), 1000 + k, QStringLiteral("commit"));
    return list;
}

QJsonObject World::discussion(int r, int d) const
{
    const qint64 id = 600000 + r * 10000 + d;
    const QJsonObject author = user(d + 3);
    const QString created = isoTime(m_epoch.addDays(d).addSecs(r));
    return QJsonObject{{QStringLiteral("id"), nodeId("D_kwDO", id)},
                       {QStringLiteral("databaseId"), id},
                       {QStringLiteral("number"), m_spec.issues + m_spec.pulls + 1000 + d},
                       {QStringLiteral("title"), QStringLiteral("Discussion %1").arg(d)},
                       {QStringLiteral("body"), QStringLiteral("What do you think about %1?").arg(d)},
                       {QStringLiteral("url"), htmlUrl(QStringLiteral("/%1/%2/discussions/%3").arg(m_spec.owner, repoName(r)).arg(d))},
                       {QStringLiteral("createdAt"), created},
                       {QStringLiteral("updatedAt"), created},
                       {QStringLiteral("locked"), false},
                       {QStringLiteral("upvoteCount"), d % 4},
                       {QStringLiteral("answerChosenAt"), QJsonValue()},
                       {QStringLiteral("author"), QJsonObject{{QStringLiteral("login"), author.value(QStringLiteral("login"))},
                                                              {QStringLiteral("id"), author.value(QStringLiteral("node_id"))},
                                                              {QStringLiteral("databaseId"), author.value(QStringLiteral("id"))}}},
                       {QStringLiteral("category"), QJsonObject{{QStringLiteral("id"), QStringLiteral("DIC_kwDO1")},
                                                                {QStringLiteral("name"), d % 2 ? QStringLiteral("Q&A") : QStringLiteral("Ideas")}}}};
}

QList<QJsonObject> World::discussionComments(int r, int d) const
{
    QList<QJsonObject> list;
    for (int e = 0; e < m_spec.discussionComments; ++e) {
        const qint64 id = 6000000 + r * 100000 + d * 100 + e;
        const QJsonObject author = user(d + e);
        const QString created = isoTime(m_epoch.addDays(d).addSecs(600 + e));
        list << QJsonObject{{QStringLiteral("id"), nodeId("DC_kwDO", id)},
                            {QStringLiteral("databaseId"), id},
                            {QStringLiteral("body"), QStringLiteral("Reply %1").arg(e)},
                            {QStringLiteral("url"), htmlUrl(QStringLiteral("/%1/%2/discussions/%3#c%4").arg(m_spec.owner, repoName(r)).arg(d).arg(id))},
                            {QStringLiteral("createdAt"), created},
                            {QStringLiteral("updatedAt"), created},
                            {QStringLiteral("upvoteCount"), e},
                            {QStringLiteral("author"), QJsonObject{{QStringLiteral("login"), author.value(QStringLiteral("login"))},
                                                                   {QStringLiteral("id"), author.value(QStringLiteral("node_id"))},
                                                                   {QStringLiteral("databaseId"), author.value(QStringLiteral("id"))}}},
                            {QStringLiteral("replyTo"), QJsonValue()}};
    }
    return list;
}

QJsonObject World::createIssue(int r, const QJsonObject &fields)
{
    const qint64 number = m_nextNumber[r]++;
    QJsonObject o = generatedIssue(r, qMin<qint64>(number, 1)); // a template with every field
    const qint64 id = 1000000LL + r * 1000000LL + number;
    const QString full = m_spec.owner + QLatin1Char('/') + repoName(r);
    const QString api = url(QStringLiteral("/repos/%1/issues/%2").arg(full).arg(number));
    const QString stamp = now();
    o.insert(QStringLiteral("id"), id);
    o.insert(QStringLiteral("node_id"), nodeId("I_kwDO", id));
    o.insert(QStringLiteral("number"), number);
    o.insert(QStringLiteral("url"), api);
    o.insert(QStringLiteral("html_url"), htmlUrl(QStringLiteral("/%1/issues/%2").arg(full).arg(number)));
    o.insert(QStringLiteral("title"), fields.value(QStringLiteral("title")).toString());
    o.insert(QStringLiteral("body"), fields.value(QStringLiteral("body")));
    o.insert(QStringLiteral("state"), QStringLiteral("open"));
    o.insert(QStringLiteral("state_reason"), QJsonValue());
    o.insert(QStringLiteral("closed_at"), QJsonValue());
    o.insert(QStringLiteral("labels"), QJsonArray());
    o.insert(QStringLiteral("assignee"), QJsonValue());
    o.insert(QStringLiteral("assignees"), QJsonArray());
    o.insert(QStringLiteral("comments"), 0);
    o.insert(QStringLiteral("user"), fields.contains(QStringLiteral("_user")) ? fields.value(QStringLiteral("_user")) : QJsonValue(user(17)));
    o.insert(QStringLiteral("created_at"), stamp);
    o.insert(QStringLiteral("updated_at"), stamp);
    o.insert(QStringLiteral("reactions"), rollup(api + QStringLiteral("/reactions"), {}));
    m_issueOverlay[r][number] = o;
    return o;
}

std::optional<QJsonObject> World::editIssue(int r, qint64 number, const QJsonObject &fields)
{
    auto current = issue(r, number);
    if (!current)
        return std::nullopt;
    QJsonObject o = *current;
    for (const QString &key : {QStringLiteral("title"), QStringLiteral("body"), QStringLiteral("locked"), QStringLiteral("active_lock_reason")}) {
        if (fields.contains(key))
            o.insert(key, fields.value(key));
    }
    const QString stamp = now();
    if (fields.contains(QStringLiteral("state"))) {
        const QString state = fields.value(QStringLiteral("state")).toString();
        if (state != o.value(QStringLiteral("state")).toString()) {
            o.insert(QStringLiteral("state"), state);
            o.insert(QStringLiteral("closed_at"), state == QStringLiteral("closed") ? QJsonValue(stamp) : QJsonValue());
            o.insert(QStringLiteral("state_reason"), state == QStringLiteral("closed")
                                                         ? fields.value(QStringLiteral("state_reason")).toString(QStringLiteral("completed"))
                                                         : QJsonValue(QStringLiteral("reopened")));
        }
    }
    if (fields.contains(QStringLiteral("labels"))) {
        QJsonArray labelsArray;
        for (const QJsonValue &v : fields.value(QStringLiteral("labels")).toArray()) {
            const QString name = v.isObject() ? v.toObject().value(QStringLiteral("name")).toString() : v.toString();
            for (const QJsonObject &l : labels(r)) {
                if (l.value(QStringLiteral("name")).toString() == name)
                    labelsArray.append(l);
            }
        }
        o.insert(QStringLiteral("labels"), labelsArray);
    }
    if (fields.contains(QStringLiteral("assignees"))) {
        QJsonArray assignees;
        for (const QJsonValue &v : fields.value(QStringLiteral("assignees")).toArray()) {
            const QString login = v.toString();
            if (login.startsWith(QStringLiteral("user-")))
                assignees.append(user(login.mid(5).toInt()));
        }
        o.insert(QStringLiteral("assignees"), assignees);
        o.insert(QStringLiteral("assignee"), assignees.isEmpty() ? QJsonValue() : assignees.first());
    }
    o.insert(QStringLiteral("updated_at"), stamp);
    m_issueOverlay[r][number] = o;
    return o;
}

bool World::deleteIssue(int r, qint64 number)
{
    if (!issue(r, number))
        return false;
    m_issueOverlay[r][number] = std::nullopt;
    return true;
}

bool World::deleteLabel(int r, const QString &name)
{
    for (const QJsonObject &l : labels(r)) {
        if (l.value(QStringLiteral("name")).toString() == name) {
            m_deletedLabels[r].insert(name);
            return true;
        }
    }
    return false;
}

std::optional<std::pair<int, qint64>> World::issueByNodeId(const QString &nodeId) const
{
    if (!nodeId.startsWith(QStringLiteral("I_kwDO")))
        return std::nullopt;
    const QByteArray raw = QByteArray::fromBase64(nodeId.mid(6).toLatin1(), QByteArray::Base64UrlEncoding);
    bool ok = false;
    const qint64 id = raw.toLongLong(&ok);
    if (!ok || id < 1000000)
        return std::nullopt;
    const qint64 rest = id - 1000000;
    const int r = int(rest / 1000000);
    const qint64 number = rest % 1000000;
    if (r < 0 || r >= m_spec.repos)
        return std::nullopt;
    return std::make_pair(r, number);
}

} // namespace githubsim
