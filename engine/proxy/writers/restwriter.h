#pragma once

// A table whose rows are REST resources of a repository with the usual verbs:
//   INSERT -> POST <collection> with the row's writable columns;
//   UPDATE -> GET <object> (stale check: the changed columns must still hold what the row had), then
//             PATCH <object> with the changed columns only;
//   DELETE -> DELETE <object>.
// After a POST or PATCH every column the row set must hold what it asked for in GitHub's answer (a
// value GitHub silently ignored is a refusal). Undo: DELETE what was created, PATCH an update back; a
// deleted object cannot be restored. Comments, labels and releases are such tables.

#include "proxy/tablewriter.h"

namespace hubsync::proxy {

class RestTableWriter : public TableWriter {
public:
    void apply(const std::shared_ptr<WriteStep> &step) const override;
    void undo(const std::shared_ptr<WriteStep> &step, const AppliedChange &applied) const override;

protected:
    // Where a new row is POSTed ("/repos/o/r/issues/3/comments"); empty when the row's references are
    // not synced (the write is refused).
    [[nodiscard]] virtual QString collectionPath(const WriteStep &step) const = 0;
    // The REST resource of a row (the old row of an update or delete; GitHub's answer when undoing).
    [[nodiscard]] virtual QString objectPath(const WriteStep &step, const QJsonObject &row) const = 0;
    // What a request body is for.
    enum class Purpose { Create, Update, Undo };
    // The request body for `columns` of `row`: by default each column under its own name.
    [[nodiscard]] virtual QJsonObject requestBody(const QJsonObject &row, const QStringList &columns,
                                                  Purpose purpose) const;
    // Where the stale check reads the row (by default objectPath()).
    [[nodiscard]] virtual QString readPath(const WriteStep &step, const QJsonObject &row) const {
        return objectPath(step, row);
    }
    // Whether GitHub's answer holds what the row asked for in `column`.
    [[nodiscard]] virtual bool applied(const QString &column, const QJsonValue &answer, const QJsonValue &asked) const {
        return sameColumnValue(column, answer, asked);
    }
    // The columns a POST may carry (by default the writable ones).
    [[nodiscard]] virtual QStringList createColumns() const { return writableColumns(); }
    // The columns an INSERT sets: the createColumns() it gives a value.
    [[nodiscard]] QStringList insertedColumns(const CapturedChange &change) const;
    // The writable columns an UPDATE changes.
    [[nodiscard]] QStringList changedColumns(const CapturedChange &change) const;

private:
    void create(const std::shared_ptr<WriteStep> &step) const;
    void update(const std::shared_ptr<WriteStep> &step) const;
    void remove(const std::shared_ptr<WriteStep> &step) const;
    void refuseUnplaced(const std::shared_ptr<WriteStep> &step) const;
    // The answer to a POST or PATCH: succeed, or refuse what GitHub did not apply.
    void check(const std::shared_ptr<WriteStep> &step, const QStringList &columns, const QJsonObject &object) const;
};

} // namespace hubsync::proxy
