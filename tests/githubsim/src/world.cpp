// The simulated world: users, repositories and the read side of issues, comments, reactions, commits.

#include "world.h"

#include <QCryptographicHash>
#include <QDateTime>

#include <algorithm>

namespace hubsync::githubsim {

namespace {

constexpr qint64 historyOrigin = 1'420'070'400; // 2015-01-01T00:00:00Z
constexpr qint64 historySpan = 300'000'000;     // generated history ends before mid-2024
constexpr int maxCachedLists = 64;

const QStringList &userNames() {
    static const QStringList names{QStringLiteral("octocat"),   QStringLiteral("hubot"),
                                   QStringLiteral("monalisa"),  QStringLiteral("codertocat"),
                                   QStringLiteral("spacecat"),  QStringLiteral("jetcat"),
                                   QStringLiteral("nyancat"),   QStringLiteral("labtocat"),
                                   QStringLiteral("dinotocat"), QStringLiteral("privateinvestocat")};
    return names;
}

} // namespace

const QStringList &World::reactionContents() {
    static const QStringList contents{QStringLiteral("+1"),     QStringLiteral("-1"),       QStringLiteral("laugh"),
                                      QStringLiteral("hooray"), QStringLiteral("confused"), QStringLiteral("heart"),
                                      QStringLiteral("rocket"), QStringLiteral("eyes")};
    return contents;
}

const QStringList &World::discussionCategories() {
    static const QStringList names{QStringLiteral("Announcements"), QStringLiteral("General"), QStringLiteral("Ideas"),
                                   QStringLiteral("Q&A")};
    return names;
}

const QList<std::array<const char *, 3>> &World::defaultLabels() {
    static const QList<std::array<const char *, 3>> labels{
        {"bug", "d73a4a", "Something isn't working"},
        {"documentation", "0075ca", "Improvements or additions to documentation"},
        {"duplicate", "cfd3d7", "This issue or pull request already exists"},
        {"enhancement", "a2eeef", "New feature or request"},
        {"good first issue", "7057ff", "Good for newcomers"},
        {"help wanted", "008672", "Extra attention is needed"},
        {"invalid", "e4e669", "This doesn't seem right"},
        {"question", "d876e3", "Further information is requested"},
        {"wontfix", "ffffff", "This will not be worked on"}};
    return labels;
}

World::World(DatasetSpec spec)
    : m_spec(std::move(spec))
    , m_clock([] { return QDateTime::currentSecsSinceEpoch(); }) {
    m_repos.reserve(m_spec.repos);
    for (int i = 0; i < m_spec.repos; ++i) {
        Repo r;
        r.slot = i;
        generateRepo(r, i);
        m_repos.append(std::move(r));
    }
}

QString World::userLogin(int u) const {
    if (u <= 0)
        return m_viewerLogin;
    const QStringList &names = userNames();
    return u <= names.size() ? names[u - 1] : names[(u - 1) % names.size()] + QLatin1Char('-') + QString::number(u);
}

int World::userByLogin(const QString &login) const {
    if (login.compare(m_viewerLogin, Qt::CaseInsensitive) == 0)
        return 0;
    const qsizetype dash = login.lastIndexOf(QLatin1Char('-'));
    if (dash > 0) {
        bool ok = false;
        const int u = login.mid(dash + 1).toInt(&ok);
        if (ok && u > 0 && u < userCount() && userLogin(u).compare(login, Qt::CaseInsensitive) == 0)
            return u;
    }
    const QStringList &names = userNames();
    for (int i = 0; i < names.size() && i + 1 < userCount(); ++i) {
        if (names[i].compare(login, Qt::CaseInsensitive) == 0)
            return i + 1;
    }
    return -1;
}

int World::userById(qint64 id) const {
    const qint64 u = id - ids::user;
    return u >= 0 && u < userCount() ? int(u) : -1;
}

const Repo *World::repo(int slot) const {
    if (slot < 0 || slot >= m_repos.size() || m_repos[slot].deleted)
        return nullptr;
    return &m_repos[slot];
}

Repo *World::repo(int slot) {
    if (slot < 0 || slot >= m_repos.size() || m_repos[slot].deleted)
        return nullptr;
    return &m_repos[slot];
}

int World::findRepo(const QString &owner, const QString &name) const {
    // Generated names are "repo-<slot>" under the dataset owner: answer those without a scan.
    if (owner.compare(m_spec.owner, Qt::CaseInsensitive) == 0 && name.startsWith(QLatin1String("repo-"))) {
        bool ok = false;
        const int slot = name.mid(5).toInt(&ok);
        if (ok && slot >= 0 && slot < m_repos.size() && !m_repos[slot].deleted &&
            m_repos[slot].name.compare(name, Qt::CaseInsensitive) == 0 &&
            m_repos[slot].owner.compare(owner, Qt::CaseInsensitive) == 0)
            return slot;
    }
    for (const Repo &r : m_repos) {
        if (!r.deleted && r.owner.compare(owner, Qt::CaseInsensitive) == 0 &&
            r.name.compare(name, Qt::CaseInsensitive) == 0)
            return r.slot;
    }
    return -1;
}

int World::repoById(qint64 id) const {
    const qint64 slot = id - ids::repository;
    return slot >= 0 && slot < m_repos.size() && !m_repos[slot].deleted ? int(slot) : -1;
}

QList<int> World::liveRepos() const {
    QList<int> slots;
    for (const Repo &r : m_repos) {
        if (!r.deleted)
            slots << r.slot;
    }
    return slots;
}

void World::generateRepo(Repo &r, int index) {
    const quint64 seed = m_spec.seed;
    r.id = ids::repository + r.slot;
    r.owner = m_spec.owner;
    r.name = QStringLiteral("repo-%1").arg(index);
    static const QStringList topics{QStringLiteral("A sync engine"), QStringLiteral("Command-line tools"),
                                    QStringLiteral("Documentation site"), QStringLiteral("Web application"),
                                    QStringLiteral("Data pipeline")};
    r.description = topics[int(mix(seed, r.slot, 1) % quint64(topics.size()))] + QStringLiteral(" (generated)");
    r.isPrivate = mix(seed, r.slot, 2) % 3 == 0;
    r.hasDiscussions = m_spec.discussionsPerRepo > 0;
    r.base = historyOrigin + qint64(index) * 3600;
    r.genIssues = m_spec.issuesPerRepo;
    r.genPulls = m_spec.pullsPerRepo;
    r.commentsPerThread = m_spec.commentsPerIssue;
    r.commits = m_spec.commitsPerRepo;
    r.spacing = qBound(qint64(1), historySpan / (r.genThreads() + 1), qint64(86400));
    r.commitSpacing = qBound(qint64(1), historySpan / (r.commits + 1), qint64(86400));
    r.nextNumber = r.genThreads() + m_spec.discussionsPerRepo + 1;
    r.nextComment = r.genThreads() * r.commentsPerThread;
    r.created = r.base - 86400;
    r.updated = r.base + historySpan;
    r.pushed = r.commits > 0 ? commitTime(r, 0) : r.created;

    const auto &standard = defaultLabels();
    for (int l = 0; l < m_spec.labelsPerRepo; ++l) {
        Label label;
        label.id = ids::label + r.slot * ids::slotStride + l;
        if (l < standard.size()) {
            label.name = QString::fromLatin1(standard[l][0]);
            label.color = QString::fromLatin1(standard[l][1]);
            label.description = QString::fromLatin1(standard[l][2]);
            label.isDefault = true;
        } else {
            label.name = QStringLiteral("area: %1").arg(l - standard.size() + 1);
            label.color = QStringLiteral("%1").arg(mix(seed, r.slot, 3, l) & 0xffffff, 6, 16, QLatin1Char('0'));
            label.description = QStringLiteral("Generated label %1").arg(l);
        }
        r.labels << label;
    }
    r.nextLabel = m_spec.labelsPerRepo;

    const qint64 releaseStep = historySpan / (m_spec.releasesPerRepo + 1);
    for (int k = 0; k < m_spec.releasesPerRepo; ++k) {
        Release rel;
        rel.id = ids::release + r.slot * ids::slotStride + k;
        rel.tag = QStringLiteral("v%1.%2.0").arg(1 + k / 10).arg(k % 10);
        rel.name = QStringLiteral("Release ") + rel.tag;
        rel.body = QStringLiteral("## Changes\n\n* Generated release %1 of %2\n").arg(k).arg(r.name);
        rel.prerelease = k % 5 == 4;
        rel.author = 1 + int(mix(seed, r.slot, 4, k) % quint64(m_spec.users));
        rel.created = r.base + (k + 1) * releaseStep;
        rel.published = rel.created + 60;
        r.releases << rel;
    }
    r.nextRelease = m_spec.releasesPerRepo;

    if (r.commits > 0) {
        for (int b = 0; b < m_spec.branchesPerRepo; ++b)
            r.refs << Ref{b == 0 ? QStringLiteral("refs/heads/main") : QStringLiteral("refs/heads/feature-%1").arg(b),
                          commitSha(r, b == 0 ? 0 : qint64(mix(seed, r.slot, 5, b) % quint64(r.commits)))};
        for (const Release &rel : std::as_const(r.releases))
            r.refs << Ref{QStringLiteral("refs/tags/") + rel.tag,
                          commitSha(r, qint64(mix(seed, r.slot, 6, rel.id) % quint64(r.commits)))};
    }

    const qint64 discussionStep = historySpan / (m_spec.discussionsPerRepo + 1);
    for (int d = 0; d < m_spec.discussionsPerRepo; ++d) {
        Discussion disc;
        disc.id = ids::discussion + r.slot * ids::slotStride + d;
        disc.number = r.genThreads() + 1 + d;
        disc.title =
            QStringLiteral("Discussion %1: how should we handle case %2?").arg(d + 1).arg(mix(seed, r.slot, 7, d) % 97);
        disc.body = QStringLiteral("Opening a discussion about topic %1.\n\nThoughts welcome.").arg(d + 1);
        disc.author = 1 + int(mix(seed, r.slot, 8, d) % quint64(m_spec.users));
        disc.category = int(mix(seed, r.slot, 9, d) % 4);
        disc.upvotes = int(mix(seed, r.slot, 10, d) % 12);
        disc.created = r.base + (d + 1) * discussionStep;
        disc.updated = disc.created + 3600 + qint64(mix(seed, r.slot, 11, d) % 3600);
        disc.locked = mix(seed, r.slot, 12, d) % 20 == 0;
        for (int e = 0; e < m_spec.commentsPerDiscussion; ++e) {
            DiscussionComment c;
            c.id = ids::discussionComment + r.slot * ids::slotStride + qint64(d) * 1000 + e;
            c.discussion = d;
            c.author = 1 + int(mix(seed, r.slot, 13, c.id) % quint64(m_spec.users));
            c.body = e % 3 == 1 ? QStringLiteral("Agreed with the above.")
                                : QStringLiteral("Reply %1 to discussion %2.").arg(e + 1).arg(d + 1);
            c.created = disc.created + (e + 1) * 60;
            c.updated = c.created;
            c.upvotes = int(mix(seed, r.slot, 14, c.id) % 5);
            // Every third comment answers the one before it (GitHub nests replies one level deep).
            c.replyTo = e % 3 == 1 ? c.id - 1 : 0;
            disc.comments << c;
        }
        if (disc.category == 3 && !disc.comments.isEmpty() && mix(seed, r.slot, 15, d) % 2 == 0)
            disc.answerChosenAt = disc.comments.first().created + 30;
        r.discussions << disc;
    }
    r.nextDiscussionComment = qint64(m_spec.discussionsPerRepo) * 1000;
}

bool World::generatedIsPull(const Repo &r, qint64 n) const {
    const qint64 total = r.genThreads();
    if (n < 1 || n > total || r.genPulls == 0)
        return false;
    // Spreads the pull requests evenly over the number space with exactly genPulls of them.
    return (n * r.genPulls) / total > ((n - 1) * r.genPulls) / total;
}

bool World::generatedClosed(const Repo &r, qint64 n) const {
    return mix(m_spec.seed, r.slot, n, 21) % 3 == 0;
}

qint64 World::generatedUpdated(const Repo &r, qint64 n) const {
    // Strictly increasing with the number: generated threads sort by updated_at exactly as by number.
    return generatedCreated(r, n) + r.spacing / 2 +
           qint64(mix(m_spec.seed, r.slot, n, 22) % quint64(r.spacing / 4 + 1));
}

Issue World::generatedIssue(const Repo &r, qint64 n) const {
    static const QStringList verbs{QStringLiteral("Fix"),      QStringLiteral("Improve"),
                                   QStringLiteral("Document"), QStringLiteral("Refactor"),
                                   QStringLiteral("Speed up"), QStringLiteral("Investigate")};
    static const QStringList things{QStringLiteral("the sync cursor"), QStringLiteral("pagination"),
                                    QStringLiteral("webhook retries"), QStringLiteral("the login flow"),
                                    QStringLiteral("label colours"),   QStringLiteral("the café menu ☕")};
    const quint64 seed = m_spec.seed;
    const quint64 h = mix(seed, r.slot, n, 23);
    Issue i;
    i.number = n;
    i.pull = generatedIsPull(r, n);
    i.title = verbs[int(h % 6)] + QLatin1Char(' ') + things[int((h >> 8) % 6)] + QStringLiteral(" (#%1)").arg(n);
    if ((h >> 16) % 7 != 0)
        i.body = QStringLiteral("Seen in %1.\n\nSteps:\n1. run \"sync\"\n2. look at row %2\n\nExpected: ✓")
                     .arg(r.name)
                     .arg(h % 1000);
    i.user = 1 + int((h >> 20) % quint64(m_spec.users));
    i.created = generatedCreated(r, n);
    i.updated = generatedUpdated(r, n);
    i.comments = r.commentsPerThread;
    if ((h >> 28) % 3 != 0)
        i.assignees << 1 + int((h >> 32) % quint64(m_spec.users));
    const int labelCount = r.labels.isEmpty() ? 0 : int((h >> 36) % 3);
    const qint64 generatedLabels = qMin<qint64>(m_spec.labelsPerRepo, r.labels.size());
    for (int k = 0; k < labelCount && generatedLabels > 0; ++k) {
        const qint64 id =
            ids::label + r.slot * ids::slotStride + qint64(mix(seed, r.slot, n, 24 + k) % quint64(generatedLabels));
        if (!i.labelIds.contains(id))
            i.labelIds << id;
    }
    if (generatedClosed(r, n)) {
        i.closed = true;
        i.closedAt = i.updated;
        i.closedBy = 1 + int((h >> 40) % quint64(m_spec.users));
        i.merged = i.pull && (h >> 44) % 4 != 0;
        i.stateReason =
            i.pull ? QString() : ((h >> 46) % 5 == 0 ? QStringLiteral("not_planned") : QStringLiteral("completed"));
    }
    i.locked = (h >> 50) % 50 == 0;
    if (i.locked)
        i.lockReason = QStringLiteral("resolved");
    if (i.pull) {
        i.draft = !i.closed && (h >> 54) % 5 == 0;
        i.headRef = QStringLiteral("feature/issue-%1").arg(n);
        i.headCommit = r.commits > 0 ? int(mix(seed, r.slot, n, 27) % quint64(r.commits)) : 0;
    }
    return i;
}

bool World::issueDeleted(const Repo &r, qint64 number) const {
    const auto it = r.issues.find(number);
    return it != r.issues.end() && !it->second;
}

std::optional<Issue> World::issue(const Repo &r, qint64 number) const {
    const auto it = r.issues.find(number);
    if (it != r.issues.end())
        return it->second;
    if (number < 1 || number > r.genThreads())
        return std::nullopt;
    return generatedIssue(r, number);
}

std::shared_ptr<const QList<qint64>> World::issueNumbers(const Repo &r, const ListQuery &q) const {
    if (m_listCacheVersion != m_version || m_listCache.size() > maxCachedLists) {
        m_listCache.clear();
        m_listCacheVersion = m_version;
    }
    const QString cacheKey = QStringLiteral("i%1:%2:%3:%4:%5:%6")
                                 .arg(r.slot)
                                 .arg(int(q.kind))
                                 .arg(q.state, q.sort)
                                 .arg(q.ascending)
                                 .arg(q.since);
    if (const auto hit = m_listCache.constFind(cacheKey); hit != m_listCache.constEnd())
        return *hit;

    struct Entry {
        qint64 key;
        qint64 number;
    };
    std::vector<Entry> entries;
    const bool wantOpen = q.state != QLatin1String("closed");
    const bool wantClosed = q.state != QLatin1String("open");
    const auto accept = [&](bool pull, bool closed, qint64 updated) {
        if ((q.kind == ListQuery::Kind::IssuesOnly && pull) || (q.kind == ListQuery::Kind::PullsOnly && !pull))
            return false;
        if ((closed && !wantClosed) || (!closed && !wantOpen))
            return false;
        return q.since < 0 || updated >= q.since;
    };
    const int sortKind = q.sort == QLatin1String("updated") ? 1 : q.sort == QLatin1String("comments") ? 2 : 0;
    auto overlay = r.issues.cbegin();
    const qint64 generated = r.genThreads();
    // A since filter on generated threads (updated_at increases with the number) skips straight to the first match.
    qint64 first = 1;
    if (q.since >= 0 && generated > 0) {
        qint64 lo = 1, hi = generated + 1;
        while (lo < hi) {
            const qint64 mid = (lo + hi) / 2;
            if (generatedUpdated(r, mid) >= q.since)
                hi = mid;
            else
                lo = mid + 1;
        }
        first = lo;
    }
    entries.reserve(size_t(qMax<qint64>(0, generated - first + 1)));
    for (qint64 n = first; n <= generated; ++n) {
        while (overlay != r.issues.cend() && overlay->first < n)
            ++overlay;
        if (overlay != r.issues.cend() && overlay->first == n)
            continue; // the overlay's version counts below
        const bool pull = generatedIsPull(r, n);
        const bool closed = generatedClosed(r, n);
        if (accept(pull, closed, -1 < q.since ? generatedUpdated(r, n) : 0))
            entries.push_back({sortKind == 2   ? r.commentsPerThread
                               : sortKind == 1 ? generatedUpdated(r, n)
                                               : generatedCreated(r, n),
                               n});
    }
    bool sorted = true;
    for (const auto &[number, changed] : r.issues) {
        if (!changed || !accept(changed->pull, changed->closed, changed->updated))
            continue;
        sorted = false;
        entries.push_back({sortKind == 2   ? changed->comments
                           : sortKind == 1 ? changed->updated
                                           : changed->created,
                           number});
    }
    if (!sorted || sortKind == 2)
        std::stable_sort(entries.begin(), entries.end(), [](const Entry &a, const Entry &b) {
            return a.key != b.key ? a.key < b.key : a.number < b.number;
        });
    auto list = std::make_shared<QList<qint64>>();
    list->reserve(qsizetype(entries.size()));
    if (q.ascending) {
        for (const Entry &e : entries)
            list->append(e.number);
    } else {
        for (auto it = entries.crbegin(); it != entries.crend(); ++it)
            list->append(it->number);
    }
    m_listCache.insert(cacheKey, list);
    return list;
}

Comment World::generatedComment(const Repo &r, qint64 local) const {
    const qint64 n = local / r.commentsPerThread + 1;
    const qint64 j = local % r.commentsPerThread;
    const quint64 h = mix(m_spec.seed, r.slot, local, 31);
    Comment c;
    c.local = local;
    c.number = n;
    c.user = 1 + int(h % quint64(m_spec.users));
    static const QStringList bodies{QStringLiteral("I can reproduce this."),
                                    QStringLiteral("Fixed in the latest build, thanks!"),
                                    QStringLiteral("Could you share the logs?\n\n```\nerror: timeout\n```"),
                                    QStringLiteral("LGTM 👍"), QStringLiteral("Duplicate of an older report.")};
    c.body = bodies[int((h >> 8) % quint64(bodies.size()))];
    c.created = generatedCreated(r, n) + (j + 1) * qMax<qint64>(1, r.spacing / (2 * (r.commentsPerThread + 1)));
    c.updated = c.created;
    return c;
}

std::optional<Comment> World::comment(const Repo &r, qint64 local) const {
    const auto it = r.comments.find(local);
    if (it != r.comments.end())
        return it->second;
    if (local < 0 || r.commentsPerThread <= 0 || local >= r.genThreads() * r.commentsPerThread)
        return std::nullopt;
    Comment c = generatedComment(r, local);
    if (issueDeleted(r, c.number))
        return std::nullopt;
    return c;
}

bool World::commentFromId(qint64 id, int *slot, qint64 *local) const {
    const qint64 rest = id - ids::comment;
    if (rest < 0)
        return false;
    *slot = int(rest / ids::slotStride);
    *local = rest % ids::slotStride;
    return repo(*slot) != nullptr;
}

std::shared_ptr<const QList<qint64>> World::commentLocals(const Repo &r, qint64 number, bool byUpdated, bool ascending,
                                                          qint64 since) const {
    if (m_listCacheVersion != m_version || m_listCache.size() > maxCachedLists) {
        m_listCache.clear();
        m_listCacheVersion = m_version;
    }
    const QString cacheKey =
        QStringLiteral("c%1:%2:%3:%4:%5").arg(r.slot).arg(number).arg(byUpdated).arg(ascending).arg(since);
    if (const auto hit = m_listCache.constFind(cacheKey); hit != m_listCache.constEnd())
        return *hit;
    struct Entry {
        qint64 key;
        qint64 local;
    };
    std::vector<Entry> entries;
    const qint64 generated = r.commentsPerThread > 0 ? r.genThreads() * r.commentsPerThread : 0;
    qint64 from = 0, to = generated; // generated locals [from, to)
    if (number > 0) {
        from = qMin(generated, (number - 1) * r.commentsPerThread);
        to = number <= r.genThreads() ? qMin(generated, number * r.commentsPerThread) : from;
    }
    auto overlay = r.comments.lower_bound(from);
    entries.reserve(size_t(to - from));
    qint64 deletedThread = -1;
    for (qint64 k = from; k < to; ++k) {
        while (overlay != r.comments.cend() && overlay->first < k)
            ++overlay;
        if (overlay != r.comments.cend() && overlay->first == k)
            continue;
        const qint64 n = k / r.commentsPerThread + 1;
        if (n == deletedThread || (!r.issues.empty() && issueDeleted(r, n))) {
            deletedThread = n;
            continue;
        }
        const Comment c = generatedComment(r, k); // cheap: no strings are kept
        if (since >= 0 && c.updated < since)
            continue;
        entries.push_back({byUpdated ? c.updated : c.created, k});
    }
    for (const auto &[local, changed] : r.comments) {
        if (!changed || (number > 0 && changed->number != number) || issueDeleted(r, changed->number))
            continue;
        if (since >= 0 && changed->updated < since)
            continue;
        entries.push_back({byUpdated ? changed->updated : changed->created, local});
    }
    std::stable_sort(entries.begin(), entries.end(),
                     [](const Entry &a, const Entry &b) { return a.key != b.key ? a.key < b.key : a.local < b.local; });
    auto list = std::make_shared<QList<qint64>>();
    list->reserve(qsizetype(entries.size()));
    if (ascending) {
        for (const Entry &e : entries)
            list->append(e.local);
    } else {
        for (auto it = entries.crbegin(); it != entries.crend(); ++it)
            list->append(it->local);
    }
    m_listCache.insert(cacheKey, list);
    return list;
}

QList<Reaction> World::generatedReactions(const Repo &r, qint64 target, bool onComment) const {
    QList<Reaction> list;
    const quint64 h = mix(m_spec.seed, r.slot, target, onComment ? 41 : 42);
    const int percent = onComment ? m_spec.reactionPercent / 2 : m_spec.reactionPercent;
    if (int(h % 100) >= percent)
        return list;
    const int count = 1 + int((h >> 8) % 3);
    const qint64 created = onComment ? generatedComment(r, target).created : generatedCreated(r, target);
    const QStringList &contents = reactionContents();
    for (int i = 0; i < count; ++i) {
        Reaction reaction;
        reaction.id =
            ids::reaction + r.slot * 1'000'000'000LL + (onComment ? 500'000'000 + target * 4 : target * 4) + i;
        reaction.user = 1 + int((quint64(h >> 16) + quint64(i) * 7) % quint64(m_spec.users));
        reaction.content = contents[int((h >> (24 + 4 * i)) % 8)];
        reaction.created = created + 1 + i;
        list << reaction;
    }
    return list;
}

QList<Reaction> World::issueReactions(const Repo &r, qint64 number) const {
    if (const auto it = r.issueReactions.constFind(number); it != r.issueReactions.constEnd())
        return *it;
    if (number < 1 || number > r.genThreads())
        return {};
    return generatedReactions(r, number, false);
}

QList<Reaction> World::commentReactions(const Repo &r, qint64 local) const {
    if (const auto it = r.commentReactions.constFind(local); it != r.commentReactions.constEnd())
        return *it;
    if (local < 0 || local >= r.genThreads() * r.commentsPerThread)
        return {};
    return generatedReactions(r, local, true);
}

QString World::commitSha(const Repo &r, qint64 k) const {
    const QByteArray input =
        QByteArray::number(m_spec.seed) + ':' + QByteArray::number(r.slot) + ':' + QByteArray::number(k);
    return QString::fromLatin1(QCryptographicHash::hash(input, QCryptographicHash::Sha1).toHex());
}

qint64 World::commitIndex(const Repo &r, const QString &sha) const {
    if (sha.size() != 40)
        return -1;
    // Refs point at a few commits; look near the head first, then scan (bounded by the repository size).
    for (qint64 k = 0; k < r.commits; ++k) {
        if (commitSha(r, k) == sha)
            return k;
    }
    return -1;
}

const Label *World::labelByName(const Repo &r, const QString &name) const {
    for (const Label &l : r.labels) {
        if (l.name.compare(name, Qt::CaseInsensitive) == 0)
            return &l;
    }
    return nullptr;
}

const Label *World::labelById(const Repo &r, qint64 id) const {
    const qint64 local = id - ids::label - r.slot * ids::slotStride;
    if (local >= 0 && local < r.labels.size() && r.labels[local].id == id)
        return &r.labels[local];
    for (const Label &l : r.labels) {
        if (l.id == id)
            return &l;
    }
    return nullptr;
}

int World::discussionIndex(const Repo &r, qint64 number) const {
    for (int d = 0; d < r.discussions.size(); ++d) {
        if (r.discussions[d].number == number && !r.discussions[d].deleted)
            return d;
    }
    return -1;
}

} // namespace hubsync::githubsim
