#pragma once

#include "catalog/rowwriter.h"
#include "core/errors.h"
#include "sync/steps.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QPair>

#include <functional>

namespace hubsync::pg {
class Connection;
}

namespace hubsync::sync {

// Puts subjects whose reactions rollup is above zero on the reaction work list (hubsync.reaction_todo),
// for the backfill's reaction step, in one statement. Each subject is (type, key) with type "issue",
// "pull_request" or "comment" and key the issue number or the comment id. Shared by page writes and the
// webhook applier.
using ReactionSubjectKey = QPair<QString, qint64>;
Error queueReactionSubjects(pg::Connection &db, const QString &schema, const Repository &repo,
                            const QList<ReactionSubjectKey> &subjects);
inline Error queueReactionSubject(pg::Connection &db, const QString &schema, const Repository &repo,
                                  const QString &type, qint64 key) {
    return queueReactionSubjects(db, schema, repo, {qMakePair(type, key)});
}

// Writes one page of a REST list (backfill or poll) in one transaction: the rows, the users embedded in
// them, their label links, the reaction work list, and whatever the caller adds before COMMIT (its
// cursor), so a page and the record of having written it are never separated by a crash.
class PageWriter final {
public:
    PageWriter(pg::Connection &connection, const QString &schema);
    Q_DISABLE_COPY_MOVE(PageWriter)

    struct Result {
        int written = 0;
        int malformed = 0;
        QDateTime newestUpdate; // largest updated_at among the rows
    };

    // `beforeCommit` runs inside the transaction, after `result` is filled in. `raw`: each item's JSON
    // text as received (parallel to `items`), or empty.
    Error write(Step step, const Repository &repo, const QList<QJsonObject> &items,
                const std::function<Error()> &beforeCommit, Result *result, const QList<QByteArray> &raw = {});

    catalog::RowWriter &rows() { return m_writer; }

private:
    pg::Connection &m_db;
    QString m_schema; // the data schema; also keys the reaction work list
    catalog::RowWriter m_writer;
};

} // namespace hubsync::sync
