// Writes to <schema>.discussion and <schema>.discussion_comment, through GraphQL (discussions have no REST
// write API):
//   discussion          INSERT (repository_id, title, body, category) -> createDiscussion (category by name,
//                       "General" when left out); UPDATE title, body, category -> updateDiscussion;
//                       DELETE -> deleteDiscussion;
//   discussion_comment  INSERT (discussion_id, body, reply_to_node_id) -> addDiscussionComment (repository_id
//                       is the discussion's when left out); UPDATE body -> updateDiscussionComment;
//                       DELETE -> deleteDiscussionComment.
// An UPDATE first reads the node (the stale check); GitHub's answer is stored in the GraphQL shape the sync
// engine stores. Undo deletes what was created and updates an edit back.

#include "catalog/catalog.h"
#include "github/githubclient.h"
#include "proxy/writers/writers.h"
#include "proxy/writethrough.h"

#include <QJsonArray>

namespace hubsync::proxy {

namespace {

using Op = CapturedChange::Op;

// What the two tables share: GraphQL calls, the stale check, undo.
class GraphqlTableWriter : public TableWriter {
public:
    void apply(const std::shared_ptr<WriteStep> &step) const override {
        switch (step->change().op) {
        case Op::Insert:
            create(step);
            return;
        case Op::Update:
            update(step);
            return;
        case Op::Delete:
            mutate(step, deleteMutation(), {{QStringLiteral("id"), step->row().value(QStringLiteral("node_id"))}},
                   QStringLiteral("delete"), [step](const QJsonObject &) { step->succeed({}); });
            return;
        }
    }

    void undo(const std::shared_ptr<WriteStep> &step, const AppliedChange &applied) const override {
        const QString what = step->rowName();
        if (applied.op == Op::Delete) {
            step->undone(QStringLiteral("%1 was deleted on GitHub and cannot be restored").arg(what));
            return;
        }
        const QString nodeId = applied.object.value(QStringLiteral("id")).toString();
        const bool insert = applied.op == Op::Insert;
        QJsonObject input = insert ? QJsonObject{{QStringLiteral("id"), nodeId}} : undoInput(step->change(), nodeId);
        const QString mutation = insert ? deleteMutation() : updateMutation();
        const QJsonObject variables{{QStringLiteral("input"), input}};
        step->github().graphql(
            mutation, variables, step->onReply([step, what, insert, variables](const github::GitHubResponse &r) {
                step->log(QStringLiteral("GraphQL (undo)"), variables, r,
                          r.error ? QStringLiteral("undo failed") : QStringLiteral("undone"));
                const QString done = insert ? QStringLiteral("created on GitHub and deleted again")
                                            : QStringLiteral("changed on GitHub and changed back");
                step->undone(r.error ? QStringLiteral("%1 could not be undone (%2)").arg(what, r.error.message)
                                     : QStringLiteral("%1 was %2").arg(what, done));
            }));
    }

    QString permission() const override { return QStringLiteral("\"discussions: write\""); }

protected:
    // "createDiscussion", its input type and the payload member holding the node.
    virtual QString createMutation() const = 0;
    virtual QString updateMutation() const = 0;
    virtual QString deleteMutation() const = 0;
    virtual QString nodeType() const = 0; // "Discussion"
    virtual QString fields() const = 0;   // the selection of the node
    // The create input for the row, given to `ready`; not given when a reference is missing (the step is
    // refused then).
    virtual void createInput(const std::shared_ptr<WriteStep> &step, std::function<void(QJsonObject)> ready) const = 0;
    // The update input for the changed columns (also for undo, with old and new swapped).
    virtual void updateInput(const std::shared_ptr<WriteStep> &step, const QStringList &columns,
                             std::function<void(QJsonObject)> ready) const = 0;
    virtual QJsonObject undoInput(const CapturedChange &change, const QString &nodeId) const = 0;

    // The GraphQL id of a synced row of `table`; empty, and the step refused, when it is not synced.
    static QString nodeIdOf(WriteStep &step, const QString &table, qint64 id) {
        Error error;
        const QString nodeId =
            step.writeThrough().lookup(table, QStringLiteral("node_id"), QStringLiteral("id"), id, &error);
        if (nodeId.isEmpty())
            step.refuse(errorFields("42704", QStringLiteral("%1 %2 is not synced").arg(table).arg(id)));
        return nodeId;
    }

    QStringList changed(const CapturedChange &change) const {
        QStringList columns;
        for (const QString &column : writableColumns())
            if (!sameColumnValue(column, change.oldRow.value(column), change.newRow.value(column)))
                columns << column;
        return columns;
    }

    // Runs `mutation` with `input`; `done` gets the payload's node.
    void mutate(const std::shared_ptr<WriteStep> &step, const QString &mutation, const QJsonObject &input,
                const QString &verb, std::function<void(QJsonObject)> done) const {
        const QJsonObject variables{{QStringLiteral("input"), input}};
        const QString name = mutation.section(QLatin1Char('('), 0, 0).section(QLatin1Char(' '), -1);
        step->github().graphql(
            mutation, variables, step->onReply([step, variables, verb, name, done](const github::GitHubResponse &r) {
                step->log(QStringLiteral("GraphQL ") + name, variables, r);
                if (r.error) {
                    step->refuse(r, verb + QLatin1Char(' ') + step->rowName(), QStringLiteral("GraphQL ") + name);
                    return;
                }
                const QJsonObject payload = r.graphqlData.value(name).toObject();
                QJsonObject node;
                for (auto it = payload.begin(); it != payload.end(); ++it)
                    if (it.value().isObject())
                        node = it.value().toObject();
                done(node);
            }));
    }

private:
    void create(const std::shared_ptr<WriteStep> &step) const {
        createInput(step, [this, step](const QJsonObject &input) {
            mutate(step, createMutation(), input, QStringLiteral("create"), [this, step](const QJsonObject &node) {
                step->written(node);
                check(step, node, step->change().op == Op::Insert ? insertedColumns(step->change()) : QStringList());
            });
        });
    }

    void update(const std::shared_ptr<WriteStep> &step) const {
        const QStringList columns = changed(step->change());
        if (columns.isEmpty()) {
            step->unchanged();
            return;
        }
        const QString query =
            QStringLiteral("query($id: ID!) { node(id: $id) { ... on %1 { %2 } } }").arg(nodeType(), fields());
        const QJsonObject variables{{QStringLiteral("id"), step->row().value(QStringLiteral("node_id"))}};
        step->github().graphql(query, variables, step->onReply([this, step, columns](const github::GitHubResponse &r) {
            const QJsonObject node = r.graphqlData.value(QStringLiteral("node")).toObject();
            if (r.error || node.isEmpty()) {
                step->log(QStringLiteral("GraphQL node"), {}, r);
                if (r.error)
                    step->refuse(r, QStringLiteral("update ") + step->rowName(), QStringLiteral("GraphQL node"));
                else
                    step->refuse(
                        errorFields("42704", QStringLiteral("%1 no longer exists on GitHub").arg(step->rowName())));
                return;
            }
            if (step->refusedAsStale(columns, node))
                return;
            updateInput(step, columns, [this, step, columns](const QJsonObject &input) {
                mutate(step, updateMutation(), input, QStringLiteral("update"),
                       [this, step, columns](const QJsonObject &answer) {
                           step->written(answer);
                           check(step, answer, columns);
                       });
            });
        }));
    }

    QStringList insertedColumns(const CapturedChange &change) const {
        QStringList columns;
        for (const QString &column : writableColumns())
            if (!change.newRow.value(column).isNull() && !change.newRow.value(column).isUndefined())
                columns << column;
        return columns;
    }

    void check(const std::shared_ptr<WriteStep> &step, const QJsonObject &node, const QStringList &columns) const {
        const QJsonObject answer = rowFrom(node, step->row());
        QStringList dropped;
        for (const QString &column : columns)
            if (!sameColumnValue(column, answer.value(column), step->change().newRow.value(column)))
                dropped << column;
        if (node.isEmpty() || !dropped.isEmpty()) {
            step->refuse(errorFields("42501",
                                     QStringLiteral("GitHub accepted %1 but did not apply %2")
                                         .arg(step->rowName(), dropped.join(QStringLiteral(", "))),
                                     QStringLiteral("GitHub answered without an error.")));
            return;
        }
        step->succeed(node);
    }
};

// Discussion categories are set by name; GitHub's mutations take the category's node id.
void withCategory(const std::shared_ptr<WriteStep> &step, const QString &name, std::function<void(QString)> found) {
    const QString path = step->repoPath();
    const QJsonObject variables{{QStringLiteral("owner"), path.section(QLatin1Char('/'), 0, 0)},
                                {QStringLiteral("name"), path.section(QLatin1Char('/'), 1)}};
    step->github().graphql(
        QStringLiteral("query($owner: String!, $name: String!) { repository(owner: $owner, name: $name) {"
                       " discussionCategories(first: 25) { nodes { id name } } } }"),
        variables, step->onReply([step, name, found](const github::GitHubResponse &r) {
            QStringList names;
            const QJsonArray nodes = r.graphqlData.value(QStringLiteral("repository"))
                                         .toObject()
                                         .value(QStringLiteral("discussionCategories"))
                                         .toObject()
                                         .value(QStringLiteral("nodes"))
                                         .toArray();
            for (const QJsonValue &node : nodes) {
                const QJsonObject category = node.toObject();
                names << category.value(QStringLiteral("name")).toString();
                if (names.last().compare(name, Qt::CaseInsensitive) == 0) {
                    found(category.value(QStringLiteral("id")).toString());
                    return;
                }
            }
            if (r.error) {
                step->refuse(r, QStringLiteral("read the discussion categories for ") + step->rowName(),
                             QStringLiteral("GraphQL discussionCategories"));
                return;
            }
            step->refuse(errorFields("23503",
                                     QStringLiteral("the repository has no discussion category \"%1\"").arg(name),
                                     QStringLiteral("Its categories: %1.").arg(names.join(QStringLiteral(", "))),
                                     QStringLiteral("Set category to one of them.")));
        }));
}

class DiscussionWriter final : public GraphqlTableWriter {
public:
    QString table() const override { return QStringLiteral("discussion"); }
    QStringList writableColumns() const override {
        return {QStringLiteral("title"), QStringLiteral("body"), QStringLiteral("category")};
    }
    QStringList requiredColumns() const override { return {QStringLiteral("title"), QStringLiteral("body")}; }
    Error validate(const CapturedChange &change) const override {
        if (change.op == Op::Insert)
            return checkInsert(change, {QStringLiteral("number")});
        return TableWriter::validate(change);
    }
    QString describe(const CapturedChange &change) const override {
        if (change.op == Op::Insert)
            return QStringLiteral("the new discussion \"%1\"")
                .arg(change.row().value(QStringLiteral("title")).toString().left(60));
        return QStringLiteral("discussion #%1 (id %2)")
            .arg(qint64(change.row().value(QStringLiteral("number")).toDouble()))
            .arg(change.id());
    }

protected:
    QString createMutation() const override {
        return QStringLiteral("mutation createDiscussion($input: CreateDiscussionInput!) { createDiscussion(input: "
                              "$input) { discussion { %1 } } }")
            .arg(fields());
    }
    QString updateMutation() const override {
        return QStringLiteral("mutation updateDiscussion($input: UpdateDiscussionInput!) { updateDiscussion(input: "
                              "$input) { discussion { %1 } } }")
            .arg(fields());
    }
    QString deleteMutation() const override {
        return QStringLiteral("mutation deleteDiscussion($input: DeleteDiscussionInput!) { deleteDiscussion(input: "
                              "$input) { clientMutationId } }");
    }
    QString nodeType() const override { return QStringLiteral("Discussion"); }
    QString fields() const override { return catalog::discussionFields() + QStringLiteral(" comments { totalCount }"); }

    void createInput(const std::shared_ptr<WriteStep> &step, std::function<void(QJsonObject)> ready) const override {
        const QString repositoryId = nodeIdOf(*step, QStringLiteral("repository"), step->repositoryId());
        if (repositoryId.isEmpty())
            return;
        const QJsonObject &row = step->row();
        const QString category = row.value(QStringLiteral("category")).toString(QStringLiteral("General"));
        withCategory(step, category.isEmpty() ? QStringLiteral("General") : category,
                     [row, repositoryId, ready](const QString &categoryId) {
                         ready({{QStringLiteral("repositoryId"), repositoryId},
                                {QStringLiteral("categoryId"), categoryId},
                                {QStringLiteral("title"), row.value(QStringLiteral("title"))},
                                {QStringLiteral("body"), row.value(QStringLiteral("body"))}});
                     });
    }
    void updateInput(const std::shared_ptr<WriteStep> &step, const QStringList &columns,
                     std::function<void(QJsonObject)> ready) const override {
        QJsonObject input{{QStringLiteral("discussionId"), step->row().value(QStringLiteral("node_id"))}};
        const QJsonObject &row = step->change().newRow;
        for (const char *column : {"title", "body"})
            if (columns.contains(QLatin1String(column)))
                input.insert(QLatin1String(column), row.value(QLatin1String(column)));
        if (!columns.contains(QStringLiteral("category"))) {
            ready(input);
            return;
        }
        withCategory(step, row.value(QStringLiteral("category")).toString(), [input, ready](const QString &id) mutable {
            input.insert(QStringLiteral("categoryId"), id);
            ready(input);
        });
    }
    QJsonObject undoInput(const CapturedChange &change, const QString &nodeId) const override {
        // Title and body back; a category change stays (its id would need another lookup).
        QJsonObject input{{QStringLiteral("discussionId"), nodeId}};
        for (const char *column : {"title", "body"})
            input.insert(QLatin1String(column), change.oldRow.value(QLatin1String(column)));
        return input;
    }
};

class DiscussionCommentWriter final : public GraphqlTableWriter {
public:
    QString table() const override { return QStringLiteral("discussion_comment"); }
    QStringList writableColumns() const override { return {QStringLiteral("body")}; }
    QStringList requiredColumns() const override { return {QStringLiteral("discussion_id"), QStringLiteral("body")}; }
    Error validate(const CapturedChange &change) const override {
        if (change.op == Op::Insert)
            return checkInsert(change, {QStringLiteral("reply_to_node_id")});
        return TableWriter::validate(change);
    }
    QStringList insertColumns() const override {
        return {QStringLiteral("discussion_id"), QStringLiteral("body"), QStringLiteral("reply_to_node_id")};
    }
    QString describe(const CapturedChange &change) const override {
        const qint64 discussion = qint64(change.row().value(QStringLiteral("discussion_id")).toDouble());
        if (change.op == Op::Insert)
            return QStringLiteral("the new comment on discussion %1").arg(discussion);
        return QStringLiteral("discussion comment %1").arg(change.id());
    }
    QJsonObject rowFrom(const QJsonObject &object, const QJsonObject &captured) const override {
        catalog::MapContext context;
        context.repositoryId = qint64(captured.value(QStringLiteral("repository_id")).toDouble());
        context.parentId = qint64(captured.value(QStringLiteral("discussion_id")).toDouble());
        return tableRow(table(), object, context);
    }

protected:
    QString createMutation() const override {
        return QStringLiteral("mutation addDiscussionComment($input: AddDiscussionCommentInput!) {"
                              " addDiscussionComment(input: $input) { comment { %1 } } }")
            .arg(fields());
    }
    QString updateMutation() const override {
        return QStringLiteral("mutation updateDiscussionComment($input: UpdateDiscussionCommentInput!) {"
                              " updateDiscussionComment(input: $input) { comment { %1 } } }")
            .arg(fields());
    }
    QString deleteMutation() const override {
        return QStringLiteral("mutation deleteDiscussionComment($input: DeleteDiscussionCommentInput!) {"
                              " deleteDiscussionComment(input: $input) { clientMutationId } }");
    }
    QString nodeType() const override { return QStringLiteral("DiscussionComment"); }
    QString fields() const override { return catalog::discussionCommentFields(); }

    void createInput(const std::shared_ptr<WriteStep> &step, std::function<void(QJsonObject)> ready) const override {
        const QString discussionId = nodeIdOf(*step, QStringLiteral("discussion"),
                                              qint64(step->row().value(QStringLiteral("discussion_id")).toDouble()));
        if (discussionId.isEmpty())
            return;
        QJsonObject input{{QStringLiteral("discussionId"), discussionId},
                          {QStringLiteral("body"), step->row().value(QStringLiteral("body"))}};
        if (step->row().value(QStringLiteral("reply_to_node_id")).isString())
            input.insert(QStringLiteral("replyToId"), step->row().value(QStringLiteral("reply_to_node_id")));
        ready(input);
    }
    void updateInput(const std::shared_ptr<WriteStep> &step, const QStringList &columns,
                     std::function<void(QJsonObject)> ready) const override {
        Q_UNUSED(columns);
        ready({{QStringLiteral("commentId"), step->row().value(QStringLiteral("node_id"))},
               {QStringLiteral("body"), step->change().newRow.value(QStringLiteral("body"))}});
    }
    QJsonObject undoInput(const CapturedChange &change, const QString &nodeId) const override {
        return {{QStringLiteral("commentId"), nodeId},
                {QStringLiteral("body"), change.oldRow.value(QStringLiteral("body"))}};
    }
};

} // namespace

std::unique_ptr<TableWriter> makeDiscussionWriter() {
    return std::make_unique<DiscussionWriter>();
}

std::unique_ptr<TableWriter> makeDiscussionCommentWriter() {
    return std::make_unique<DiscussionCommentWriter>();
}

} // namespace hubsync::proxy
