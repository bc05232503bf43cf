#pragma once

#include "graphqlparser.h"
#include "server.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QSet>

namespace hubsync::githubsim {

// POST /graphql: a small but real GraphQL executor over a slice of GitHub's schema (repository,
// discussions and their comments, node/nodes, rateLimit, viewer, deleteIssue). Documents are parsed,
// validated against the schema (unknown fields, arguments, types, missing selections, undeclared
// variables) and executed; only requested fields are returned, in request order, with aliases,
// fragments, __typename and @include/@skip. Errors follow GitHub's shapes.
class GraphqlService final {
public:
    explicit GraphqlService(Server &server);
    Q_DISABLE_COPY_MOVE(GraphqlService)

    HttpResponse handle(Server::Context &c);

    // A runtime object: its GraphQL type plus the coordinates resolvers need.
    struct Obj {
        QString type;
        int slot = -1;
        qint64 key = 0; // user index, issue number, ...
        int index = -1; // discussion index
        int sub = -1;   // discussion comment index
        QJsonObject extra;
    };
    struct Val {
        enum class Kind { Null, Scalar, Object, List };
        Kind kind = Kind::Null;
        QJsonValue scalar;
        Obj obj;
        QList<Val> list;
        static Val null() { return {}; }
        static Val of(const QJsonValue &v);
        static Val of(const Obj &o);
        static Val of(const QString &s) { return of(QJsonValue(s)); }
    };
    struct FieldDef {
        QString type; // named type
        bool list = false;
        QStringList args;
    };

private:
    struct Exec {
        Server::Context &ctx;
        const graphql::Document &doc;
        const graphql::Operation &op;
        QJsonObject variables;
        QJsonArray errors;
        int cost = 1;
        bool invalid = false;
        QSet<QString> fragmentStack;
        qint64 nodeCount = 0; // GitHub's node limit: the `first` products down every path, summed
    };
    // GitHub refuses a query that may request more nodes than this (before running it, free of charge).
    static constexpr qint64 maxNodes = 500'000;
    static constexpr int maxNodeIds = 100; // nodes(ids:)
    static const QHash<QString, QHash<QString, FieldDef>> &schema();
    static bool isAbstract(const QString &type);
    static bool typeMatches(const QString &runtimeType, const QString &condition);
    static bool isScalar(const QString &type);

    void validate(Exec &e, const QList<graphql::Selection> &selections, const QString &type, const QStringList &path,
                  int depth);
    void execute(Exec &e, JsonWriter &w, const QList<graphql::Selection> &selections, const Obj &parent,
                 const QStringList &path);
    void writeValue(Exec &e, JsonWriter &w, const Val &v, const QList<graphql::Selection> &selections,
                    const QStringList &path);
    QJsonValue argument(Exec &e, const graphql::Value &v) const;
    Val resolve(Exec &e, const Obj &parent, const QString &field, const QJsonObject &args, const graphql::Selection &s,
                const QStringList &path);
    Val resolveQuery(Exec &e, const QString &field, const QJsonObject &args, const graphql::Selection &s,
                     const QStringList &path);
    Val resolveMutation(Exec &e, const QString &field, const QJsonObject &args, const graphql::Selection &s,
                        const QStringList &path);
    Val resolveDiscussionMutation(Exec &e, const QString &field, const QJsonObject &args, const graphql::Selection &s,
                                  const QStringList &path);
    Val connection(Exec &e, const QString &type, const QList<std::pair<QString, Obj>> &ordered, const QJsonObject &args,
                   const graphql::Selection &s, const QStringList &path);
    Val reactionConnection(Exec &e, const Repo &r, int slot, qint64 subject, bool comment, const QJsonObject &args,
                           const graphql::Selection &s, const QStringList &path);
    Val reactionGroups(const Repo &r, int slot, qint64 subject, bool comment) const;
    std::optional<Obj> nodeById(const QString &id) const;
    void error(Exec &e, const QString &type, const QString &message, const graphql::Selection *s,
               const QStringList &path);
    int cost(const QList<graphql::Selection> &selections, Exec &e, qint64 multiplier, qint64 *total) const;

    Server &m_server;
};

} // namespace hubsync::githubsim
