#pragma once

#include "core/errors.h"
#include "sync/cursorstore.h"
#include "sync/pagewriter.h"
#include "sync/steps.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QObject>

#include <functional>
#include <memory>
#include <vector>

namespace hubsync::pg {
class Connection;
}

namespace hubsync::sync {

// One page of a backfill walk, handed to a writer: its rows and the cursor that records it as written.
struct PageJob {
    Step step = Step::Label;
    Repository repo;
    QList<QJsonObject> items;
    QList<QByteArray> raw; // each item's JSON text as received (parallel to items), or empty
    // The walk's cursor after this page: fetched, nextUrl, done and total as the fetcher knows them;
    // written and since as last committed, which the writer advances by what this page wrote.
    Cursor next;
    // An earlier page of the same walk is still queued on this lane: its committed written/since are
    // the ones to advance, not next's.
    bool chained = false;
};

struct PageDone {
    Error error;
    PageWriter::Result result;
    Cursor committed; // the cursor saved with the page
};

// The backfill's write pipeline. The event loop fetches and parses pages; writers map them to rows and
// write them, each writer on a thread of its own with its own database session, so fetching the next
// pages, mapping and PostgreSQL's work on the previous ones overlap instead of taking turns.
//
//   GitHub -> [engine thread: HTTP, JSON parse] -> submit(lane) -> [lane thread: map rows, one
//   transaction per page: rows + users + labels + reaction work list + cursor] -> done() on the
//   engine thread
//
// Exact resume is kept: every page still commits in one transaction with the cursor that covers it,
// and the pages of one walk go to one lane, which commits them in the order they were submitted. After
// a failed page a lane refuses every later page (a later cursor must never be committed past a page
// that is not), and jobs still queued when the writers are destroyed are dropped uncommitted, so a
// restart fetches them again.
class PageWriters final : public QObject {
    Q_OBJECT
public:
    explicit PageWriters(QObject *parent = nullptr);
    ~PageWriters() override; // lets each lane finish the page it is writing, drops the queued ones
    Q_DISABLE_COPY_MOVE(PageWriters)

    // Opens `lanes` sessions like `like` (same server, database and credentials).
    Error start(const pg::Connection &like, const QString &schema, int lanes);
    [[nodiscard]] int laneCount() const { return int(m_lanes.size()); }
    // The lane with the fewest pages queued (for a walk that has nothing queued anywhere).
    [[nodiscard]] int leastBusyLane() const;

    // Queues a page; `done` runs on this object's thread once the page is committed or has failed.
    void submit(int lane, PageJob job, std::function<void(const PageDone &)> done);

private:
    class Lane;
    std::vector<std::unique_ptr<Lane>> m_lanes;
};

} // namespace hubsync::sync
