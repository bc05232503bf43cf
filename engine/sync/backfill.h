#pragma once

#include "catalog/rowwriter.h"
#include "core/events.h"
#include "sync/api.h"
#include "sync/budget.h"
#include "sync/cursorstore.h"
#include "sync/pagewriter.h"
#include "sync/pagewriters.h"
#include "sync/steps.h"

#include <QElapsedTimer>
#include <QMap>
#include <QObject>
#include <QStringList>

#include <deque>
#include <functional>
#include <memory>

namespace hubsync::pg {
class Connection;
}

namespace hubsync::sync {

struct ReactionSubject;

// Backfills everything the credentials can see: lists the repositories, then walks every collection of
// several repositories in parallel (bounded), committing each page together with its cursor. Restarting
// after a crash resumes every repository x collection at the first page not yet committed.
// REST list pages are written by PageWriters (threads with sessions of their own, see pagewriters.h)
// while the next pages are fetched, at most a few pages ahead per walk; a walk moves to its next step
// only once all of its pages are committed (the reaction step reads what the issue and comment pages
// queued). Discussions, reactions and the repository list are written here, on `db`.
class Backfill final : public QObject {
    Q_OBJECT
public:
    struct Options {
        QString schema = QStringLiteral("github");
        QStringList repos; // owner/name; empty = all visible
        int parallelRepos = 4;
        int perPage = 100;
        int writerThreads = 2; // PageWriters lanes; 0 writes every page on `db`, in the event loop
        int pagesAhead = 2;    // pages of one walk fetched while earlier ones are still being written
        bool restOnly = false; // diagnostics: fetch reactions through REST only (one request per subject)
    };

    Backfill(Api &api, pg::Connection &db, Options options, QObject *parent = nullptr);
    ~Backfill() override;
    Q_DISABLE_COPY_MOVE(Backfill)

    void start();
    [[nodiscard]] bool isRunning() const { return m_running; }
    [[nodiscard]] QList<Repository> repositories() const { return m_repositories; }

Q_SIGNALS:
    void progress(const hubsync::CollectionProgress &progress);
    void finished(const hubsync::BackfillSummary &summary);
    void failed(const hubsync::Error &error);
    void warning(const QString &message);
    void repositoriesReady(int count);

private:
    struct RepoRun;

    // Repository listing (backfill_repos.cpp)
    void listRepositories();
    void onRepositoryPage(const Page &page, bool wrapped);
    void fetchNamedRepository(int index);
    Error storeRepositories(const QList<QJsonObject> &objects);
    void repositoriesListed();

    // Scheduling
    void startMoreRepos();
    void runStep(RepoRun &run);
    bool hasReactionWork(qint64 repositoryId);
    void advance(RepoRun &run);
    void fetchNext(RepoRun &run);
    void repoFinished(RepoRun &run);
    void fail(const Error &error);
    bool handleStepError(RepoRun &run, const Error &error, int httpStatus);

    // REST list pages (backfill_pages.cpp)
    QString initialPath(const RepoRun &run) const;
    void onPage(RepoRun &run, const Page &page);
    Error writePage(RepoRun &run, const QList<QJsonObject> &items, const QList<QByteArray> &raw, const QString &nextUrl,
                    int *written);
    void queuePage(RepoRun &run, QList<QJsonObject> items, QList<QByteArray> raw, const QString &nextUrl);
    void onPageWritten(RepoRun &run, const PageDone &done);
    void deliverPage(RepoRun &run, QList<QJsonObject> items, QList<QByteArray> raw, const QString &nextUrl);
    void afterWrites(RepoRun &run, std::function<void()> next); // once the walk's queued pages are in

    // Issue and pull request comments through GraphQL (backfill_comments.cpp)
    [[nodiscard]] bool commentsThroughGraphql(const RepoRun &run);
    void fetchCommentThreads(RepoRun &run);
    void onCommentThreads(RepoRun &run, bool pulls, int size, const GraphqlResult &result);
    void collectThreadComments(RepoRun &run, const QString &threadId, qint64 number, bool pull,
                               const QJsonObject &comments);
    void fetchMoreThreadComments(RepoRun &run);
    bool commentsFallBackToRest(RepoRun &run, const GraphqlResult &result);
    void warnMalformed(const RepoRun &run, int malformed);

    // Reactions (backfill_reactions.cpp)
    void nextReactionSubject(RepoRun &run);
    void fetchRestReactions(RepoRun &run, const std::shared_ptr<ReactionSubject> &subject);
    void onReactionPage(RepoRun &run, const std::shared_ptr<ReactionSubject> &subject, const Page &page);
    void fetchGraphqlReactions(RepoRun &run, const QList<std::shared_ptr<ReactionSubject>> &subjects);
    void onReactionNodes(RepoRun &run, const QList<std::shared_ptr<ReactionSubject>> &subjects,
                         const GraphqlResult &result);
    void fetchMoreGraphqlReactions(RepoRun &run, const std::shared_ptr<ReactionSubject> &subject, const QString &after);
    bool graphqlRefused(const GraphqlResult &result);
    // Shared by the GraphQL walks (backfill_reactions.cpp).
    void failQuery(const RepoRun &run, const QString &what, const GraphqlResult &result);
    bool halvePage(RepoRun &run, int size, const GraphqlResult &result, const QString &what, const QString &unit);
    void growPage(RepoRun &run, int size, int largest, const QString &what, const QString &unit);
    void reactionSubjectDone(RepoRun &run);
    Error writeReactionWave(RepoRun &run);

    // Discussions through GraphQL (backfill_discussions.cpp)
    void fetchDiscussions(RepoRun &run);
    void onDiscussions(RepoRun &run, const GraphqlResult &result, int size);
    void fetchMoreDiscussionComments(RepoRun &run);
    void writeDiscussionPage(RepoRun &run);

    void emitProgress(RepoRun &run);

    Api &m_api;
    pg::Connection &m_db;
    Options m_options;
    PageWriter m_pages;
    catalog::RowWriter &m_writer; // m_pages' writer, for the non-REST steps
    CursorStore m_cursors;
    bool m_running = false;
    bool m_failed = false;
    bool m_graphqlRefused = false; // GitHub refused GraphQL to these credentials: REST from then on
    QList<QJsonObject> m_listedRepos;
    QList<Repository> m_repositories;
    qsizetype m_nextRepo = 0;
    std::deque<std::unique_ptr<RepoRun>> m_active;
    QElapsedTimer m_clock;
    qint64 m_records = 0;
    PoolState m_restPool;    // GitHub's REST budget as the last answer left it
    PoolState m_graphqlPool; // and its GraphQL budget
    void noteGraphqlQuota(const GraphqlResult &result) {
        m_graphqlPool.note(result.quotaRemaining, result.quotaLimit, result.quotaReset);
    }
    void noteRestQuota(const Page &page) { m_restPool.note(page.quotaRemaining, page.quotaLimit, page.quotaReset); }
    QMap<QString, QStringList> m_permissionProblems; // GitHub's reason -> "owner/repo collection" it refused
    std::unique_ptr<PageWriters> m_writers;          // last: its lanes stop before the runs go
};

} // namespace hubsync::sync
